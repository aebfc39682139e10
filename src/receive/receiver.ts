/**
 * The mail-in engine (no Node-RED here): one poll of one mailbox folder, delivering each mail once through the hooks
 * and acknowledging it after. Action read/delete/move drains the filter's results; action none keeps a cursor.
 */
import { setMaxListeners } from 'node:events';
import { ReceiveApi } from './assemble';
import { claimFolderId, releaseStaleClaims } from './claim';
import type { ReceiveHooks } from './hooks';
import { emptyCounters, emptySummary, PollContext, PollSummary, ReceiverCounters } from './poll';
import { Cursor, CursorStore, readCursor } from './cursor';
import { DeltaMemory, deltaPoll } from './delta';
import { drainPoll, DrainState } from './drain';
import { DrainFolders } from './page';
import { compileFilter, MailPredicate } from './filter';
import { SkipMemory } from './memory';
import { cursorKey, ReceiveOptions } from './options';
import { watermarkPoll } from './watermark';

export type ReceiveMode = 'drain' | 'delta' | 'watermark';

/** Polls one mailbox folder; keep one per node, so remembered failures and folder ids last across polls. */
export class Receiver {
  readonly counters: ReceiverCounters = emptyCounters();
  /** How `action` is carried out: drain (read/delete/move), or a delta or watermark cursor (none). */
  readonly mode: ReceiveMode;
  private readonly api: ReceiveApi;
  private readonly memory = new SkipMemory();
  private readonly drainState: DrainState = { ordered: true };
  private readonly deltaMemory: DeltaMemory = {};
  private readonly predicate: MailPredicate | null;
  private folders?: DrainFolders;
  private warnedClaim = false;

  constructor(
    api: ReceiveApi,
    readonly options: ReceiveOptions,
    private readonly cursorStore: CursorStore,
    private readonly hooks: ReceiveHooks,
  ) {
    this.api = countingApi(api, this.counters);
    this.predicate = options.search ? null : compileFilter(options.filter);
    this.mode = options.action !== 'none' ? 'drain' : this.predicate ? 'delta' : 'watermark';
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
      await drainPoll(ctx, folders, this.drainState);
      return summary;
    }
    if (this.options.claim && !this.warnedClaim) {
      this.warnedClaim = true;
      this.hooks.warn({ key: 'claim-needs-action', subs: {} });
    }
    const cursor = await this.loadCursor();
    if (this.mode === 'delta') {
      await deltaPoll(
        ctx,
        folders.source,
        cursor,
        this.cursorStore,
        this.predicate as MailPredicate,
        this.deltaMemory,
      );
    } else {
      await watermarkPoll(ctx, folders.source, cursor, this.cursorStore, this.drainState);
    }
    return summary;
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

  private async loadCursor(): Promise<Cursor> {
    const key = cursorKey(this.options);
    const stored = readCursor(await this.cursorStore.get(), key);
    const mode = this.mode === 'delta' ? 'delta' : 'watermark';
    if (stored && stored.mode === mode) return stored;
    return { version: 1, key, mode, roundStart: mode === 'delta' ? true : undefined };
  }
}

/** The api with each fetch that is not a page or an acknowledgement counted as one operation. */
function countingApi(api: ReceiveApi, counters: ReceiverCounters): ReceiveApi {
  const counted = Object.create(api) as ReceiveApi;
  counted.getMime = (...args) => {
    counters.operations++;
    return api.getMime(...args);
  };
  counted.attachmentValue = (...args) => {
    counters.operations++;
    return api.attachmentValue(...args);
  };
  counted.listAttachments = (...args) => {
    counters.operations++;
    return api.listAttachments(...args);
  };
  return counted;
}
