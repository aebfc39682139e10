/**
 * `action: none` without the delta query: with a `$search`, a `$filter` a delta round cannot evaluate, or where Graph
 * has no message delta (the China cloud). Each poll scans the folder's matching mails by id and receivedDateTime only
 * (newest first, down to the floor of the set of delivered mails), then reads in full only the mails not seen before
 * and delivers them oldest first. A mail that shows up late with an older receivedDateTime (delivered late, moved in,
 * indexed late by search) is not seen before, so it is delivered, once. Nothing is acknowledged, so following
 * nextLinks is safe.
 */
import type { GraphMessage } from '../graph/mail-api';
import { idOf } from './assemble';
import { Cursor, CursorStore } from './cursor';
import { deliverInOrder } from './deliver';
import { fetchWhole } from './fetch';
import { FILTER_SELECT, MailPredicate } from './filter';
import { BEGINNING, checkSearchCap, isSortRefused, listOptions, ListingState, refuseSort } from './listing';
import type { MailError } from './mail-error';
import { countPage, type PollContext } from './poll';

/** More mails not seen before than this are read by listing their time range, fewer by id in one `$batch`. */
const FETCH_BY_ID = 20;

interface Unseen {
  id: string;
  received: string;
}

/** One poll of the listing cursor. `localFilter` applies the node's filter next to a search (Graph cannot). */
export async function listingPoll(
  ctx: PollContext,
  folderId: string,
  cursor: Cursor,
  store: CursorStore,
  state: ListingState,
  localFilter: MailPredicate | null,
): Promise<void> {
  const unseen = await scan(ctx, folderId, cursor, state, localFilter);
  const remaining = ctx.options.maxMessages > 0 ? ctx.options.maxMessages : Infinity;
  const take = unseen.slice(0, remaining);
  ctx.summary.limited = take.length < unseen.length;
  let failures: MailError[] = [];
  try {
    const byRange = take.length > FETCH_BY_ID && !ctx.options.search && state.ordered;
    failures = byRange
      ? await deliverByRange(ctx, folderId, cursor, take)
      : await deliverById(ctx, cursor, take);
    // Delivered oldest first, so trimming the set to its bound never passes a mail still to come; a mail that
    // failed and is tried again keeps the set as it is until it went.
    if (!failures.some((f) => !f.skippedFromNow)) cursor.seen.settle();
  } finally {
    await store.set(cursor.toStored());
  }
}

/** The mails of the folder (matching the filter or search) not delivered before, oldest first. */
async function scan(
  ctx: PollContext,
  folderId: string,
  cursor: Cursor,
  state: ListingState,
  localFilter: MailPredicate | null,
): Promise<Unseen[]> {
  const { options } = ctx;
  const select = ['id', 'receivedDateTime', ...(options.search ? FILTER_SELECT : [])];
  const base = { select, top: 1000, bodyFormat: options.bodyFormat };
  const userFilter = options.filter ? ` and (${options.filter})` : '';
  const listing = options.search
    ? { ...base, search: options.search }
    : state.ordered
      ? {
          ...base,
          filter: `receivedDateTime ge ${cursor.seen.floor ?? BEGINNING}${userFilter}`,
          orderby: 'receivedDateTime desc',
        }
      : { ...base, filter: options.filter || undefined };
  const unseen: Unseen[] = [];
  let listed = 0;
  try {
    for await (const page of ctx.api.listMessages(folderId, listing, ctx.signal)) {
      countPage(ctx);
      listed += page.value.length;
      for (const m of page.value) {
        const id = idOf(m);
        if (!id || (localFilter && !localFilter(m))) continue;
        if (cursor.seen.covers(id, m.receivedDateTime) || ctx.memory.skips(id)) continue;
        unseen.push({ id, received: typeof m.receivedDateTime === 'string' ? m.receivedDateTime : '' });
      }
    }
  } catch (err) {
    if (options.search || !state.ordered || !isSortRefused(err)) throw err;
    refuseSort(ctx, state, err);
    return scan(ctx, folderId, cursor, state, localFilter);
  }
  checkSearchCap(ctx, state, listed);
  return unseen.sort((a, b) => a.received.localeCompare(b.received));
}

/** Reads the mails by id, 100 at a time (in `$batch` requests of 20), and delivers them in order. */
async function deliverById(ctx: PollContext, cursor: Cursor, take: Unseen[]): Promise<MailError[]> {
  const failures: MailError[] = [];
  for (let i = 0; i < take.length; i += 100) {
    const fetched = await fetchWhole(
      ctx,
      take.slice(i, i + 100).map((u) => u.id),
    );
    failures.push(...fetched.failed);
    failures.push(...(await deliver(ctx, cursor, fetched.mails)));
  }
  return failures;
}

/**
 * Many mails (a first poll): the folder listed oldest first from the oldest of them, each delivered as it comes. A page
 * too big for Graph to answer in time is asked again smaller (page-size.ts); at ids only, the mails are read by id.
 */
async function deliverByRange(
  ctx: PollContext,
  folderId: string,
  cursor: Cursor,
  take: Unseen[],
): Promise<MailError[]> {
  const shape = ctx.pages.listing(ctx.options);
  if (shape.light) return deliverById(ctx, cursor, take);
  const wanted = new Set(take.map((u) => u.id));
  const failures: MailError[] = [];
  const listing = listOptions(ctx.options, shape, true, take[0].received || BEGINNING);
  try {
    for await (const page of ctx.api.listMessages(folderId, listing, ctx.signal)) {
      countPage(ctx);
      ctx.pages.succeeded();
      const mails = page.value.filter((m) => wanted.delete(m.id));
      failures.push(...(await deliver(ctx, cursor, mails)));
      if (wanted.size === 0) break;
    }
  } catch (err) {
    if (!ctx.pages.tooBig(err)) throw err;
    const rest = take.filter((u) => wanted.has(u.id));
    if (rest.length > 0) failures.push(...(await deliverByRange(ctx, folderId, cursor, rest)));
  }
  return failures;
}

function deliver(ctx: PollContext, cursor: Cursor, mails: GraphMessage[]): Promise<MailError[]> {
  return deliverInOrder(ctx, mails, (id, mail) => cursor.seen.add(id, mail.o365.receivedDateTime));
}
