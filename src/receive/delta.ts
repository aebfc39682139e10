/**
 * `action: none` through the folder's delta query: each mail delivered once, not at every poll. The cursor (the
 * nextLink or deltaLink, plus a receivedDateTime watermark) lives in the node's context, so a persistent context
 * store resumes after a restart. Delta also reports changes to old mail (read, flagged): the watermark as of the start
 * of a round tells them from new mail. A stale token (410 syncStateNotFound) starts a new sync that skips what was
 * delivered before.
 */
import { GraphCodes } from '../graph/error-codes';
import { GraphError } from '../graph/errors';
import type { GraphMessage } from '../graph/mail-api';
import { MESSAGE_SELECT } from '../mail/inbound';
import { idOf } from './assemble';
import { deliverInOrder } from './deliver';
import { countPage, type PollContext } from './poll';
import { advance, Cursor, CursorStore, isBehind, Watermark } from './cursor';
import type { MailPredicate } from './filter';

/** What the receiver keeps in memory between polls (lost on restart, which the stored cursor covers). */
export interface DeltaMemory {
  /** Ids delivered in the current round, when the round began in this process. */
  round?: Set<string>;
}

const MAX_ROUND_MEMORY = 200_000;

/** One poll through the delta query. */
export async function deltaPoll(
  ctx: PollContext,
  folderId: string,
  cursor: Cursor,
  store: CursorStore,
  matches: MailPredicate,
  memory: DeltaMemory,
): Promise<void> {
  let remaining = ctx.options.maxMessages > 0 ? ctx.options.maxMessages : Infinity;
  for (;;) {
    // A round that begins here is seen whole by this process: remember what it delivers, for a resync.
    if (cursor.roundStart) memory.round = new Set(cursor.done ?? []);
    let page: { value: GraphMessage[]; nextLink?: string; deltaLink?: string } | undefined;
    try {
      page = await firstPage(ctx, folderId, cursor);
    } catch (err) {
      if (!isStaleToken(err) || !cursor.link) throw err;
      resync(cursor, memory);
      await store.set(cursor);
      continue;
    }
    if (!page) return;
    const done = new Set(cursor.done ?? []);
    const deliverable: GraphMessage[] = [];
    for (const m of page.value) {
      const id = idOf(m);
      if (!id || m['@removed'] !== undefined || done.has(id) || memory.round?.has(id)) continue;
      const received = typeof m.receivedDateTime === 'string' ? m.receivedDateTime : '';
      cursor.next = advance(cursor.next, received, id);
      if (isBehind(cursor.watermark, received, id) || !matches(m) || ctx.memory.skips(id)) continue;
      deliverable.push(m);
    }
    const take = deliverable.slice(0, remaining);
    remaining -= take.length;
    const delivered: string[] = [];
    let failures;
    try {
      failures = await deliverInOrder(
        ctx,
        take,
        (id) => {
          delivered.push(id);
          if (memory.round && memory.round.size < MAX_ROUND_MEMORY) memory.round.add(id);
        },
        { stopAtFailure: true },
      );
    } catch (err) {
      // Stopped half way (close): keep what this page delivered, so it is not delivered again.
      cursor.done = [...done, ...delivered];
      await store.set(cursor);
      throw err;
    }
    const retry = failures.some((f) => !f.skippedFromNow);
    if (take.length < deliverable.length || retry) {
      // Stopped inside this page: fetch it again next time and skip what it already gave.
      cursor.done = [...done, ...delivered];
      ctx.summary.limited = !retry;
      await store.set(cursor);
      return;
    }
    cursor.done = undefined;
    if (page.nextLink) {
      cursor.link = page.nextLink;
      cursor.roundStart = false;
      await store.set(cursor);
      if (remaining <= 0) {
        ctx.summary.limited = true;
        return;
      }
      continue;
    }
    endRound(cursor, page.deltaLink, memory);
    await store.set(cursor);
    return;
  }
}

async function firstPage(ctx: PollContext, folderId: string, cursor: Cursor) {
  const pages = ctx.api.delta(
    folderId,
    {
      deltaLink: cursor.link,
      select: MESSAGE_SELECT,
      bodyFormat: ctx.options.bodyFormat,
      pageSize: Math.min(1000, ctx.options.maxMessages > 0 ? Math.max(ctx.options.maxMessages, 10) : 1000),
    },
    ctx.signal,
  );
  try {
    const result = await pages.next();
    if (result.done) return undefined;
    countPage(ctx);
    return result.value;
  } finally {
    await pages.return(undefined);
  }
}

/** A round finished: its watermark becomes the one later rounds compare against. */
function endRound(cursor: Cursor, deltaLink: string | undefined, memory: DeltaMemory): void {
  cursor.watermark = merge(cursor.watermark, cursor.next);
  cursor.next = undefined;
  cursor.link = deltaLink;
  cursor.roundStart = true;
  memory.round = undefined;
}

/**
 * A stale token: sync again from scratch. When this process saw the whole interrupted round it knows what it
 * delivered and keeps the round's starting watermark (nothing skipped); otherwise it takes the round's watermark
 * as far as it got (nothing repeated).
 */
function resync(cursor: Cursor, memory: DeltaMemory): void {
  if (!memory.round) cursor.watermark = merge(cursor.watermark, cursor.next);
  cursor.next = memory.round ? cursor.next : undefined;
  cursor.link = undefined;
  cursor.done = undefined;
  cursor.roundStart = false;
}

function merge(a: Watermark | undefined, b: Watermark | undefined): Watermark | undefined {
  if (!a) return b;
  if (!b) return a;
  let out: Watermark | undefined = a;
  for (const id of b.ids) out = advance(out, b.at, id);
  return out;
}

/** Graph forgot the sync state (410 syncStateNotFound) or cannot read the token. */
export function isStaleToken(err: unknown): boolean {
  if (!(err instanceof GraphError)) return false;
  return err.status === 410 || GraphCodes.staleSyncState.includes(err.code.toLowerCase());
}
