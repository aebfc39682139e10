/**
 * `action: none` through the folder's delta query: each mail delivered once, not at every poll. Graph lists a round
 * in no particular order, may list a changed mail with only id, isRead and parentFolderId, and may forget a saved
 * link at any time (410 syncStateNotFound). So a mail is delivered when it was not seen before (src/receive/seen.ts),
 * whatever its receivedDateTime; a partial item of a mail not seen before is fetched in full first; a stale link
 * starts a new sync in which everything seen is skipped. The cursor is saved after each page.
 */
import { GraphCodes } from '../graph/error-codes';
import { GraphError } from '../graph/errors';
import type { GraphMessage } from '../graph/mail-api';
import { MESSAGE_SELECT } from '../mail/inbound';
import { idOf } from './assemble';
import { Cursor, CursorStore } from './cursor';
import { deliverInOrder } from './deliver';
import { fetchWhole, isPartial } from './fetch';
import type { MailPredicate } from './filter';
import { completeLegacyRound } from './migrate';
import { countPage, type PollContext } from './poll';

/** How a delta poll ended: done, or Graph has no message delta for this folder (list it instead). */
export type DeltaOutcome = 'done' | 'unavailable';

/** One poll through the delta query. */
export async function deltaPoll(
  ctx: PollContext,
  folderId: string,
  cursor: Cursor,
  store: CursorStore,
  matches: MailPredicate,
): Promise<DeltaOutcome> {
  const save = () => store.set(cursor.toStored());
  let remaining = ctx.options.maxMessages > 0 ? ctx.options.maxMessages : Infinity;
  for (;;) {
    let page: { value: GraphMessage[]; nextLink?: string; deltaLink?: string } | undefined;
    try {
      page = await firstPage(ctx, folderId, cursor.link);
    } catch (err) {
      if (cursor.link && isStaleToken(err)) {
        await resync(ctx, folderId, cursor);
        await save();
        continue;
      }
      if (!cursor.link && isDeltaUnavailable(err)) return 'unavailable';
      throw err;
    }
    if (!page) return 'done';
    const { mails, retry } = await wholeMails(ctx, page.value, cursor);
    const deliverable = mails
      .filter((m) => !cursor.seen.covers(m.id, m.receivedDateTime) && matches(m) && !ctx.memory.skips(m.id))
      .sort(byReceived);
    const take = deliverable.slice(0, remaining);
    remaining -= take.length;
    let failures;
    try {
      failures = await deliverInOrder(ctx, take, (id, mail) =>
        cursor.seen.add(id, mail.o365.receivedDateTime),
      );
    } finally {
      // Also when the poll is stopped half way: what was delivered stays delivered.
      await save();
    }
    if (take.length < deliverable.length || retry || failures.some((f) => !f.skippedFromNow)) {
      // The same page is asked again next time: what it delivered is remembered, the rest comes then.
      ctx.summary.limited = take.length < deliverable.length;
      return 'done';
    }
    if (page.nextLink) {
      cursor.link = page.nextLink;
      await save();
      if (remaining <= 0) {
        ctx.summary.limited = true;
        return 'done';
      }
      continue;
    }
    // The round is whole: what it delivered joins the rest, and the set is trimmed to its bound.
    if (cursor.legacyRound) await completeLegacyRound(ctx, folderId, cursor);
    cursor.seen.settle();
    cursor.link = page.deltaLink;
    await save();
    return 'done';
  }
}

/**
 * The page's mails that can be judged: removals and items without an id left out, each mail once, and partial items
 * of mails not delivered before fetched in full. `retry` when a mail could not be fetched and must be tried again.
 */
async function wholeMails(
  ctx: PollContext,
  items: GraphMessage[],
  cursor: Cursor,
): Promise<{ mails: GraphMessage[]; retry: boolean }> {
  const mails: GraphMessage[] = [];
  const partial: string[] = [];
  const listed = new Set<string>();
  for (const item of items) {
    const id = idOf(item);
    if (!id || item['@removed'] !== undefined || listed.has(id)) continue;
    listed.add(id);
    if (!isPartial(item)) mails.push(item);
    // A changed mail already delivered needs nothing more; one not seen yet is read whole before it is judged.
    else if (!cursor.seen.has(id) && !ctx.memory.skips(id)) partial.push(id);
  }
  const fetched = await fetchWhole(ctx, partial);
  return { mails: [...mails, ...fetched.mails], retry: fetched.failed.some((f) => !f.skippedFromNow) };
}

function byReceived(a: GraphMessage, b: GraphMessage): number {
  return String(a.receivedDateTime).localeCompare(String(b.receivedDateTime));
}

/** One page of the round; a page too big for Graph to answer in time is asked again smaller (page-size.ts). */
async function firstPage(
  ctx: PollContext,
  folderId: string,
  link: string | undefined,
): Promise<{ value: GraphMessage[]; nextLink?: string; deltaLink?: string } | undefined> {
  try {
    const page = await deltaPage(ctx, folderId, link);
    ctx.pages.succeeded();
    return page;
  } catch (err) {
    if (!ctx.pages.tooBig(err)) throw err;
    return firstPage(ctx, folderId, link);
  }
}

async function deltaPage(ctx: PollContext, folderId: string, link: string | undefined) {
  const size = Math.min(1000, ctx.options.maxMessages > 0 ? Math.max(ctx.options.maxMessages, 10) : 1000);
  const pages = ctx.api.delta(
    folderId,
    {
      deltaLink: link,
      select: MESSAGE_SELECT,
      bodyFormat: ctx.options.bodyFormat,
      pageSize: ctx.pages.delta(size),
      failFastOnTimeout: ctx.pages.canShrink,
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

/**
 * Graph forgot the link: a new sync from the start, in which every mail is listed again and everything delivered
 * (remembered, or at or before the floor) is skipped. What the interrupted round delivered stays remembered.
 */
async function resync(ctx: PollContext, folderId: string, cursor: Cursor): Promise<void> {
  if (cursor.legacyRound) await completeLegacyRound(ctx, folderId, cursor);
  cursor.link = undefined;
}

/** Graph forgot the sync state (410 syncStateNotFound) or cannot read the token. */
export function isStaleToken(err: unknown): boolean {
  if (!(err instanceof GraphError)) return false;
  return err.status === 410 || GraphCodes.staleSyncState.includes(err.code.toLowerCase());
}

/** Graph has no message delta here (the China cloud answers the delta route 400 ErrorInvalidIdMalformed). */
export function isDeltaUnavailable(err: unknown): boolean {
  return err instanceof GraphError && err.status === 400 && GraphCodes.deltaUnavailable.includes(err.code);
}
