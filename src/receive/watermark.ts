/**
 * `action: none` where delta cannot apply the filter (a `$search`, or a `$filter` delta cannot evaluate): list mail
 * received since the watermark, oldest first, deliver it, and move the watermark past each mail delivered. Ids seen
 * at the watermark's exact instant are kept, so mails received in the same second are neither repeated nor skipped.
 * Nothing is acknowledged, so following nextLinks is safe.
 */
import type { GraphMessage } from '../graph/mail-api';
import { idOf } from './assemble';
import { deliverInOrder } from './deliver';
import { listOptions, pageSize } from './listing';
import { countPage, type PollContext } from './poll';
import { advance, Cursor, CursorStore, isBehind } from './cursor';
import type { DrainState } from './drain';

/** One poll listing from the watermark. */
export async function watermarkPoll(
  ctx: PollContext,
  folderId: string,
  cursor: Cursor,
  store: CursorStore,
  state: DrainState,
): Promise<void> {
  let remaining = ctx.options.maxMessages > 0 ? ctx.options.maxMessages : Infinity;
  try {
    if (state.ordered && !ctx.options.search) {
      // Oldest first from the watermark: each page is delivered as it comes.
      const top = Math.min(pageSize(ctx.options), remaining === Infinity ? 1000 : remaining + 10);
      const options = listOptions(ctx.options, top, true, cursor.watermark?.at);
      for await (const page of ctx.api.listMessages(folderId, options, ctx.signal)) {
        countPage(ctx);
        const candidates = page.value.filter((m) => isCandidate(ctx, cursor, m));
        const take = candidates.slice(0, remaining);
        remaining -= take.length;
        if (!(await deliver(ctx, cursor, take)) || remaining <= 0) {
          ctx.summary.limited = remaining <= 0 && (take.length < candidates.length || !!page.nextLink);
          return;
        }
        await store.set(cursor);
      }
      return;
    }
    // $search lists in Graph's order: collect what is new, then deliver it oldest first.
    const candidates: GraphMessage[] = [];
    const options = listOptions(ctx.options, pageSize(ctx.options), false);
    for await (const page of ctx.api.listMessages(folderId, options, ctx.signal)) {
      countPage(ctx);
      for (const m of page.value) if (isCandidate(ctx, cursor, m)) candidates.push(m);
    }
    candidates.sort((a, b) => Date.parse(received(a)) - Date.parse(received(b)));
    if (candidates.length > remaining) ctx.summary.limited = true;
    await deliver(ctx, cursor, candidates.slice(0, remaining));
  } finally {
    // Also when the poll is stopped half way: what was delivered stays delivered.
    await store.set(cursor);
  }
}

/** Delivers in order, moving the watermark; false when a mail failed and will be tried again (it holds the mark). */
async function deliver(ctx: PollContext, cursor: Cursor, mails: GraphMessage[]): Promise<boolean> {
  const failures = await deliverInOrder(
    ctx,
    mails,
    (id, mail) => {
      cursor.watermark = advance(cursor.watermark, mail.o365.receivedDateTime, id);
    },
    { stopAtFailure: true },
  );
  return !failures.some((f) => !f.skippedFromNow);
}

function received(m: GraphMessage): string {
  return typeof m.receivedDateTime === 'string' ? m.receivedDateTime : '';
}

function isCandidate(ctx: PollContext, cursor: Cursor, m: GraphMessage): boolean {
  const id = idOf(m);
  return id !== undefined && !isBehind(cursor.watermark, received(m), id) && !ctx.memory.skips(id);
}
