/** How the polled folder is listed: page size, order, filter or search. */
import { GraphCodes } from '../graph/error-codes';
import { GraphError, messageOf } from '../graph/errors';
import type { ListOptions } from '../graph/mail-api';
import type { ReceiveOptions } from './options';
import type { PageShape } from './page-size';
import type { PollContext } from './poll';

/** What a receiver learns about listing its folder while it runs. */
export interface ListingState {
  /** False once Graph refused the oldest-first listing for this filter. */
  ordered: boolean;
  /** The user was told that a search reached Graph's limit of results. */
  warnedSearchCap?: boolean;
}

/** Graph's `$search` answers at most this many results, the newest sent first (the search-query-parameter page). */
export const SEARCH_RESULT_CAP = 1000;

/** A search listing that gave `listed` results: at the cap, matches sorted after them cannot be seen; say so once. */
export function checkSearchCap(ctx: PollContext, state: ListingState, listed: number): void {
  if (!ctx.options.search || listed < SEARCH_RESULT_CAP || state.warnedSearchCap) return;
  state.warnedSearchCap = true;
  ctx.hooks.warn({ key: 'search-cap', subs: { count: SEARCH_RESULT_CAP } });
}

/** `$filter` start far in the past, so mail can be ordered oldest first (Graph wants the ordered field filtered first). */
export const BEGINNING = '1900-01-01T00:00:00Z';

/**
 * The listing of the polled folder in pages of `shape` (see page-size.ts), oldest first (so a poll limited by
 * maxMessages never starves old mail), from `since` on. `$search` cannot be combined with `$filter` or `$orderby`: it
 * lists in Graph's order.
 */
export function listOptions(
  options: ReceiveOptions,
  shape: PageShape,
  ordered: boolean,
  since = BEGINNING,
): ListOptions {
  const base = {
    select: shape.select,
    top: shape.top,
    bodyFormat: options.bodyFormat,
    expandAttachments: shape.expandAttachments,
    // A page too big to answer in time is asked again smaller, not repeated (page-size.ts).
    failFastOnTimeout: !shape.light,
  };
  if (options.search) return { ...base, search: options.search };
  if (!ordered) return { ...base, filter: options.filter || undefined };
  const userFilter = options.filter ? ` and (${options.filter})` : '';
  return { ...base, filter: `receivedDateTime ge ${since}${userFilter}`, orderby: 'receivedDateTime asc' };
}

/** Graph refused to list this filter oldest first (400 InefficientFilter and its relatives). */
export function isSortRefused(err: unknown): boolean {
  return err instanceof GraphError && err.status === 400 && GraphCodes.sortRefused.includes(err.code);
}

/** From now on the folder is listed in Graph's order; the user is told once. */
export function refuseSort(ctx: PollContext, state: ListingState, err: unknown): void {
  state.ordered = false;
  ctx.hooks.warn({ key: 'unsorted', subs: { error: messageOf(err) } });
}
