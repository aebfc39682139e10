/**
 * The mail-in engine (no Node-RED here): one poll of one mailbox folder, delivering each mail once through the hooks
 * and acknowledging it after. Action read/delete/move drains the filter's results; action none keeps a cursor.
 */
import { setMaxListeners } from 'node:events';
import { ReceiveApi } from './assemble';
import { claimFolderId, releaseStaleClaims } from './claim';
import { Cursor, CursorStore, readCursorV1 } from './cursor';
import { deltaPoll } from './delta';
import { drainPoll } from './drain';
import { compileFilter, MailPredicate } from './filter';
import type { ReceiveHooks } from './hooks';
import { listingPoll } from './list-cursor';
import type { ListingState } from './listing';
import { SkipMemory } from './memory';
import { migrateCursor } from './migrate';
import { cursorKey, ReceiveOptions } from './options';
import { DrainFolders } from './page';
import { PageSizes } from './page-size';
import { emptyCounters, emptySummary, PollContext, PollSummary, ReceiverCounters } from './poll';

/** How `action` is carried out: drain (read/delete/move), or a cursor through the delta query or a listing (none). */
export type ReceiveMode = 'drain' | 'delta' | 'listing';

/** What the receiver needs to know about where it runs. */
export interface ReceiveEnvironment {
  /** False where Graph offers no message delta (the China cloud): action none lists the folder instead. */
  messageDelta?: boolean;
}

/** Polls one mailbox folder; keep one per node, so remembered failures and folder ids last across polls. */
export class Receiver {
  readonly counters: ReceiverCounters = emptyCounters();
  private readonly api: ReceiveApi;
  private readonly memory = new SkipMemory();
  private readonly listingState: ListingState = { ordered: true };
  private readonly pages = new PageSizes();
  /** The node's filter as the node applies it itself (delta rounds, next to a search); null when it cannot. */
  private readonly predicate: MailPredicate | null;
  private folders?: DrainFolders;
  private cursor?: Cursor;
  private warnedClaim = false;
  private warnedFilter = false;

  constructor(
    api: ReceiveApi,
    readonly options: ReceiveOptions,
    private readonly cursorStore: CursorStore,
    private readonly hooks: ReceiveHooks,
    private readonly environment: ReceiveEnvironment = {},
  ) {
    this.api = countingApi(api, this.counters);
    this.predicate = compileFilter(options.filter);
  }

  /** How the next poll works: drain, or for action none the delta query unless Graph cannot give it here. */
  get mode(): ReceiveMode {
    if (this.options.action !== 'none') return 'drain';
    const delta =
      !this.options.search &&
      this.predicate !== null &&
      this.environment.messageDelta !== false &&
      this.cursor?.noDelta !== true;
    return delta ? 'delta' : 'listing';
  }

  /** Mails skipped while the node runs because their acknowledgement failed. */
  get unacknowledged(): number {
    return this.memory.count('ack-failed');
  }

  /** Mails skipped while the node runs because they could not be read several times. */
  get unreadable(): number {
    return this.memory.count('unreadable');
  }

  /** One poll. Rejects only for what stops the whole poll (folder, account, mailbox); single mails never do. */
  async pollOnce(signal?: AbortSignal): Promise<PollSummary> {
    this.counters.polls++;
    // Every waiting request listens on the poll's signal; many may wait at once on a big poll.
    if (signal) setMaxListeners(200, signal);
    const summary = emptySummary();
    const ctx: PollContext = {
      api: this.api,
      options: this.options,
      hooks: this.hooks,
      memory: this.memory,
      counters: this.counters,
      summary,
      pages: this.pages,
      signal,
    };
    const folders = await this.resolveFolders(signal);
    if (this.mode === 'drain') {
      if (folders.claim) {
        summary.released = await releaseStaleClaims(
          this.api,
          folders.claim,
          folders.source,
          this.options.claimTimeoutMs,
          (id) => this.memory.skips(id),
          signal,
        );
        this.counters.released += summary.released;
      }
      await drainPoll(ctx, folders, this.listingState, this.searchFilter());
      return summary;
    }
    if (this.options.claim && !this.warnedClaim) {
      this.warnedClaim = true;
      this.hooks.warn({ key: 'claim-needs-action', subs: {} });
    }
    const cursor = await this.loadCursor(ctx, folders.source);
    if (this.mode === 'delta') {
      const outcome = await deltaPoll(
        ctx,
        folders.source,
        cursor,
        this.cursorStore,
        this.predicate as MailPredicate,
      );
      if (outcome === 'done') return summary;
      // Graph has no message delta here (a national cloud): list the folder from now on, and say so once.
      cursor.noDelta = true;
      cursor.link = undefined;
      this.hooks.warn({ key: 'no-delta', subs: {} });
    }
    await listingPoll(
      ctx,
      folders.source,
      cursor,
      this.cursorStore,
      this.listingState,
      this.searchFilter() ?? null,
    );
    return summary;
  }

  /**
   * Next to a search, what the node applies itself (Graph cannot combine `$search` and `$filter`): the filter when the
   * node can evaluate it (else it is ignored, with one warning); with action read also "unread", so a match marked
   * read is done and not delivered again at every poll.
   */
  private searchFilter(): MailPredicate | undefined {
    if (!this.options.search) return undefined;
    let filter = this.predicate;
    if (!filter) {
      if (!this.warnedFilter)
        this.hooks.warn({ key: 'search-filter', subs: { filter: this.options.filter } });
      this.warnedFilter = true;
      filter = () => true;
    }
    if (this.options.action !== 'read') return filter;
    const matches = filter;
    return (m) => m.isRead !== true && matches(m);
  }

  private async resolveFolders(signal?: AbortSignal): Promise<DrainFolders> {
    if (this.folders) return this.folders;
    const source = await this.api.resolveFolder(this.options.folder, signal);
    const folders: DrainFolders = { source };
    if (this.options.action === 'move')
      folders.destination = await this.api.resolveFolder(this.options.moveTo, signal);
    if (this.options.claim && this.options.action !== 'none') {
      folders.claim = await claimFolderId(this.api, this.options, source, signal);
    }
    this.folders = folders;
    return folders;
  }

  /** The cursor of these settings: kept in memory once read, migrated from version 1 once (and saved at once). */
  private async loadCursor(ctx: PollContext, folderId: string): Promise<Cursor> {
    if (this.cursor) return this.cursor;
    const key = cursorKey(this.options);
    const stored = await this.cursorStore.get();
    let cursor = Cursor.fromStored(stored, key);
    if (!cursor) {
      const v1 = readCursorV1(stored, key);
      cursor = v1 ? await migrateCursor(ctx, folderId, v1, key) : new Cursor(key);
      if (v1) await this.cursorStore.set(cursor.toStored());
    }
    this.cursor = cursor;
    return cursor;
  }
}

/** The api with each fetch that is not a page or an acknowledgement counted as one operation. */
function countingApi(api: ReceiveApi, counters: ReceiverCounters): ReceiveApi {
  const counted: ReceiveApi = Object.create(api);
  for (const name of ['getMessage', 'getMime', 'attachmentValue', 'listAttachments'] as const) {
    const fetch = api[name] as (...args: unknown[]) => unknown;
    const value = (...args: unknown[]) => {
      counters.operations++;
      return fetch.apply(api, args);
    };
    Object.defineProperty(counted, name, { value });
  }
  return counted;
}
