/**
 * Version 1 cursors, which nodes stored before issue 10 (a receivedDateTime watermark: every mail received before
 * it was handled, plus the ids handled at its exact instant), become version 2 (the set of delivered mails) without
 * skipping or repeating mail: the folder's mails the watermark covers are listed once (ids only, newest first, at
 * most the set's bound; older ones lie beyond the floor) and remembered. A version 1 delta cursor keeps its link; one
 * stopped in the middle of a round also keeps what that round had reached, which is remembered the same way when the
 * round ends (or, should Graph forget the link first, at the resync).
 */
import type { GraphMessage } from '../graph/mail-api';
import { Cursor, CursorV1, Watermark } from './cursor';
import { countPage, type PollContext } from './poll';

/** The version 2 cursor of a stored version 1 cursor. */
export async function migrateCursor(
  ctx: PollContext,
  folderId: string,
  v1: CursorV1,
  key: string,
): Promise<Cursor> {
  const cursor = new Cursor(key);
  if (v1.watermark) await rememberHandled(ctx, folderId, cursor, v1.watermark);
  if (v1.mode !== 'delta') {
    cursor.seen.settle();
    return cursor;
  }
  cursor.link = v1.link;
  if (v1.link && !v1.roundStart) {
    // In the middle of a round: its mails delivered so far are remembered when the round is whole.
    const at = v1.next?.at ?? v1.watermark?.at;
    for (const id of v1.done ?? []) cursor.seen.add(id, at);
    cursor.legacyRound = v1.next;
    return cursor;
  }
  cursor.seen.settle();
  return cursor;
}

/** The migrated round ended (or was cut short by a stale link): what version 1 had handled of it is remembered. */
export async function completeLegacyRound(ctx: PollContext, folderId: string, cursor: Cursor): Promise<void> {
  const reached = cursor.legacyRound;
  cursor.legacyRound = undefined;
  if (reached) await rememberHandled(ctx, folderId, cursor, reached);
}

/** Remembers the folder's mails a version 1 watermark covers (newest first, up to the bound; the floor below). */
async function rememberHandled(
  ctx: PollContext,
  folderId: string,
  cursor: Cursor,
  mark: Watermark,
): Promise<void> {
  const limit = cursor.seen.limit;
  let remembered = 0;
  let oldest: string | undefined;
  const pages = ctx.api.listMessages(
    folderId,
    {
      select: ['id', 'receivedDateTime'],
      filter: `receivedDateTime lt ${mark.at}`,
      orderby: 'receivedDateTime desc',
      top: 1000,
      bodyFormat: 'text',
    },
    ctx.signal,
  );
  listing: for await (const page of pages) {
    countPage(ctx);
    for (const m of page.value as GraphMessage[]) {
      if (remembered >= limit) {
        // More than the bound: mail received at or before the oldest remembered one counts as handled.
        if (oldest) cursor.seen.raiseFloor(oldest);
        break listing;
      }
      cursor.seen.add(m.id, m.receivedDateTime);
      if (typeof m.receivedDateTime === 'string') oldest = m.receivedDateTime;
      remembered++;
    }
  }
  for (const id of mark.ids) cursor.seen.add(id, mark.at);
}
