/**
 * Polling with an acknowledgement (read, delete, move). Acknowledged mail leaves the filter's results, which shifts
 * Graph's `$skip` offsets under a nextLink; so pages are asked by key instead: oldest first, each page from the
 * receivedDateTime of the last mail of the one before (`ge`, the ids already seen skipped). That is immune to
 * acknowledgements, so the next page is fetched while the current one is delivered and acknowledged. Where Graph
 * cannot sort ($search, or a filter it refuses to sort), the listing is asked again from its start after each page,
 * and a nextLink is only followed when nothing was acknowledged since the listing began.
 */
import type { GraphMessage } from '../graph/mail-api';
import { idOf } from './assemble';
import type { MailPredicate } from './filter';
import { checkSearchCap, isSortRefused, listOptions, ListingState, refuseSort } from './listing';
import { MAX_PAGE, PageShape } from './page-size';
import { MailError } from './mail-error';
import { countPage, type PollContext } from './poll';
import { Acknowledger, deliverPage, DrainFolders } from './page';

/** State kept across polls by the receiver. */
export type DrainState = ListingState;

interface Page {
  value: GraphMessage[];
  nextLink?: string;
  date?: string;
}

/** What one poll has done so far, shared by both ways of listing. */
class Progress {
  readonly seen = new Set<string>();
  /** How many mails seen in this poll were received at each instant (to size the next page by key). */
  private readonly seenAt = new Map<string, number>();
  readonly acknowledger: Acknowledger;
  remaining: number;
  private reportedNoId = false;

  constructor(
    private readonly ctx: PollContext,
    private readonly folders: DrainFolders,
    /** Next to a search, the filter as the node applies it (Graph cannot combine them). */
    private readonly accept?: MailPredicate,
  ) {
    this.remaining = ctx.options.maxMessages > 0 ? ctx.options.maxMessages : Infinity;
    this.acknowledger = new Acknowledger(ctx, folders);
  }

  /** The mails of a page not handled yet in this poll nor skipped for good, at most `remaining`. */
  fresh(page: Page): GraphMessage[] {
    const fresh: GraphMessage[] = [];
    for (const m of page.value) {
      const id = idOf(m);
      if (!id) {
        if (!this.reportedNoId) {
          this.ctx.hooks.mailFailed(
            new MailError('(none)', new Error('Graph listed a mail without id'), true),
          );
        }
        this.reportedNoId = true;
        continue;
      }
      if (this.seen.has(id) || this.ctx.memory.skips(id)) continue;
      if (this.accept && !this.accept(m)) continue;
      if (fresh.length < this.remaining) fresh.push(m);
    }
    return fresh;
  }

  /**
   * Delivers the fresh mails of a page (`light`: listed as ids only; `listedAt`: Graph's clock when it listed them);
   * their acknowledgement goes on in the background.
   */
  async take(fresh: GraphMessage[], light: boolean, listedAt?: string): Promise<void> {
    for (const m of fresh) {
      this.seen.add(m.id);
      const at = String(m.receivedDateTime);
      this.seenAt.set(at, (this.seenAt.get(at) ?? 0) + 1);
    }
    this.remaining -= fresh.length;
    await deliverPage(this.ctx, fresh, this.folders, this.acknowledger, light, listedAt);
    if (this.remaining <= 0) this.ctx.summary.limited = true;
  }

  /** Mails seen (or about to be) received at `at`: a page from `at` on may begin with them, until acknowledged. */
  seenAtTime(at: string, fresh: GraphMessage[]): number {
    return (this.seenAt.get(at) ?? 0) + fresh.filter((m) => m.receivedDateTime === at).length;
  }

  /** Waits for every acknowledgement sent so far. */
  settle(): Promise<void> {
    return this.acknowledger.settle();
  }
}

/** One poll that delivers and acknowledges up to maxMessages mails (next to a search, only those `accept` takes). */
export async function drainPoll(
  ctx: PollContext,
  folders: DrainFolders,
  state: DrainState,
  accept?: MailPredicate,
): Promise<void> {
  const progress = new Progress(ctx, folders, accept);
  const finished = state.ordered && !ctx.options.search && (await byKey(ctx, folders, state, progress));
  if (!finished && progress.remaining > 0) {
    await progress.settle();
    await byOffset(ctx, folders, state, progress);
  }
  await progress.settle();
}

/** Keyset paging, oldest first; false when it cannot go on (Graph will not sort, or one instant fills a page). */
async function byKey(ctx: PollContext, folders: DrainFolders, state: DrainState, progress: Progress) {
  let since: string | undefined;
  // The page may begin with mails of the instant it starts from, not yet acknowledged: ask for that many more.
  const shapeFrom = (wanted: number, fresh: GraphMessage[] = []) => {
    const shape = ctx.pages.listing(ctx.options, wanted);
    const repeats = since === undefined ? 0 : progress.seenAtTime(since, fresh);
    return { ...shape, top: Math.min(MAX_PAGE, shape.top + repeats) };
  };
  let shape = shapeFrom(progress.remaining);
  let next: Promise<Page | undefined> | undefined = firstPage(ctx, folders.source, shape, since);
  while (next) {
    let page: Page | undefined;
    try {
      page = await next;
      ctx.pages.succeeded();
    } catch (err) {
      if (ctx.pages.tooBig(err)) {
        shape = shapeFrom(progress.remaining);
        next = firstPage(ctx, folders.source, shape, since);
        continue;
      }
      if (!isSortRefused(err)) throw err;
      refuseSort(ctx, state, err);
      return false;
    }
    if (!page || page.value.length === 0) return true;
    const fresh = progress.fresh(page);
    const last = page.value[page.value.length - 1].receivedDateTime;
    const more = page.nextLink !== undefined;
    const lastTime = typeof last === 'string' && !Number.isNaN(Date.parse(last)) ? last : undefined;
    if (more && (!lastTime || (fresh.length === 0 && lastTime === since))) return false;
    next = undefined;
    const left = progress.remaining - fresh.length;
    const { light } = shape;
    const listedAt = page.date;
    if (more && left > 0) {
      // Asked now, so listing overlaps with delivering and acknowledging this page.
      since = lastTime as string;
      shape = shapeFrom(left, fresh);
      next = firstPage(ctx, folders.source, shape, since);
      next.catch(() => undefined);
    }
    if (fresh.length > 0) await progress.take(fresh, light, listedAt);
  }
  return true;
}

/** Offset paging: the listing from its start after each page (Graph's order when it cannot sort). */
async function byOffset(ctx: PollContext, folders: DrainFolders, state: DrainState, progress: Progress) {
  let shape = ctx.pages.listing(ctx.options, progress.remaining);
  const open = () => {
    shape = ctx.pages.listing(ctx.options, progress.remaining);
    return ctx.api.listMessages(folders.source, listOptions(ctx.options, shape, state.ordered), ctx.signal);
  };
  let pages = open();
  let listed = 0;
  try {
    while (progress.remaining > 0) {
      let result;
      try {
        result = await pages.next();
        ctx.pages.succeeded();
      } catch (err) {
        if (!ctx.pages.tooBig(err)) throw err;
        pages = open();
        listed = 0;
        continue;
      }
      if (result.done) return;
      countPage(ctx);
      listed += result.value.value.length;
      checkSearchCap(ctx, state, listed);
      const fresh = progress.fresh(result.value);
      // Nothing new: nothing was acknowledged since this listing began, so its next page is safe to follow.
      if (fresh.length === 0) continue;
      await progress.take(fresh, shape.light, result.value.date);
      await progress.settle();
      await pages.return(undefined);
      pages = open();
      listed = 0;
    }
  } finally {
    await pages.return(undefined);
  }
}

/** The first page of the oldest-first listing from `since` (from the beginning when undefined). */
async function firstPage(ctx: PollContext, folderId: string, shape: PageShape, since: string | undefined) {
  const pages = ctx.api.listMessages(folderId, listOptions(ctx.options, shape, true, since), ctx.signal);
  try {
    const result = await pages.next();
    if (result.done) return undefined;
    countPage(ctx);
    return result.value as Page;
  } finally {
    await pages.return(undefined);
  }
}
