/**
 * Gathers the requests that arrive together for one mailbox into batches, so a burst of actions costs one `$batch`
 * round trip per 20 instead of one per mail, without holding a lone request back:
 * - a request waits at most until the next turn of the event loop (a burst that arrives in one turn is one batch);
 * - 20 waiting requests leave at once (once the code submitting them is done: a burst submitted in one go is seen whole);
 * - a batch leaves only when the mailbox slots it takes are free (Outlook runs 4 requests of an app per mailbox at
 *   once, 4 items of a batch at a time), so what arrives meanwhile gathers into the next batch;
 * - a batch is chained (its items run one after another, in one slot) when more requests wait behind it or when fewer
 *   slots are free than an unchained batch needs, and all its requests allow it (`chainable`): up to 4 chained batches
 *   run side by side, so the mailbox's slots stay busy while each batch makes its round trip. The last batch of a
 *   burst, with the slots free, goes unchained: it is done in a quarter of the time. A chained batch takes its share
 *   of the work left (what waits plus what running chains have yet to do, estimated from the time a request took,
 *   divided by the 4 slots), so the chains of a burst end together instead of one running on alone;
 * - a request of a chained batch that did not run because one before it failed (`notRun`: Graph's 424) goes again,
 *   first in the next batch; what ran is never repeated, and the failure is only the failed request's.
 * Two requests on the same mail (same key) never run at the same time and keep their order.
 */
import { settledWithin } from '../wait';

export interface CoalescerOptions<T, R = unknown> {
  /** Requests in one batch (Graph's `$batch` limit: 20). */
  maxBatch?: number;
  /** Mailbox slots this coalescer may hold at once (Outlook: 4). */
  slots?: number;
  /** Requests that may run one after another in a chained batch (independent of each other; default: none). */
  chainable?: (item: T) => boolean;
  /** A result that says the request was not run (a chained batch's 424): the request goes again. */
  notRun?: (result: R) => boolean;
  /** Requests with the same key run one after the other, in arrival order. */
  keyOf?: (item: T) => string;
  /** Told whenever the number of running or waiting requests changes. */
  onChange?: (running: number, waiting: number) => void;
}

export interface CoalescerCloseOptions {
  /** How long running batches may finish on their own before they are aborted (default 3 s). */
  graceMs?: number;
  /** How long aborted batches may take to wind up before close gives up on them (default 2 s). */
  abortGraceMs?: number;
}

interface Entry<T, R> {
  item: T;
  key: string;
  resolve: (result: R) => void;
  reject: (err: unknown) => void;
  closedError: () => Error;
}

/** Runs requests through `dispatch` in batches; see the module comment for when a batch leaves. */
export class Coalescer<T, R> {
  private readonly waiting: Entry<T, R>[] = [];
  private readonly running = new Set<Promise<void>>();
  private readonly busyKeys = new Map<string, number>();
  private readonly controller = new AbortController();
  private readonly maxBatch: number;
  private readonly slots: number;
  private readonly keyOf: (item: T) => string;
  private slotsInUse = 0;
  private runningRequests = 0;
  private readonly flushPending = new Set<'microtask' | 'turn'>();
  /** Chained batches running: their size and start, to estimate what is left of them. */
  private readonly chains = new Set<{ n: number; started: number }>();
  /** Time one request of a chain takes, learnt from the chains that ran whole (undefined before the first). */
  private perItemMs?: number;
  private closed = false;

  constructor(
    private readonly dispatch: (items: T[], signal: AbortSignal, chained: boolean) => Promise<R[]>,
    private readonly options: CoalescerOptions<T, R> = {},
  ) {
    this.maxBatch = Math.max(1, options.maxBatch ?? 20);
    this.slots = Math.max(1, options.slots ?? 4);
    this.keyOf = options.keyOf ?? (() => '');
  }

  /** Requests on their way (sent, not answered). */
  get active(): number {
    return this.runningRequests;
  }

  /** Requests waiting for a batch. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Adds a request; resolves with its own result. Rejects with `closedError()` once the coalescer is closed. */
  submit(item: T, closedError: () => Error): Promise<R> {
    if (this.closed) return Promise.reject(closedError());
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, key: this.keyOf(item), resolve, reject, closedError });
      this.flushLater(this.waiting.length >= this.maxBatch ? 'microtask' : 'turn');
      this.changed();
    });
  }

  /**
   * Stops taking requests and rejects those still waiting with `closedError()` (they were not sent). Running batches
   * get `graceMs` to finish, then their signal aborts and they get `abortGraceMs` more; resolves by then at the latest.
   */
  async close(closedError: () => Error, options: CoalescerCloseOptions = {}): Promise<void> {
    this.closed = true;
    for (const entry of this.waiting.splice(0)) entry.reject(closedError());
    this.changed();
    if (this.running.size > 0 && !(await settledWithin(this.running, options.graceMs ?? 3000))) {
      this.controller.abort(new Error('node closed'));
      await settledWithin(this.running, options.abortGraceMs ?? 2000);
    }
  }

  /**
   * Flushes once the code submitting now is done (`microtask`: a burst submitted in one go is seen whole), or on the
   * next turn of the event loop (`turn`: what arrives in this turn joins).
   */
  private flushLater(when: 'microtask' | 'turn'): void {
    if (this.flushPending.has(when)) return;
    this.flushPending.add(when);
    const run = () => {
      this.flushPending.delete(when);
      this.flush();
    };
    if (when === 'microtask') queueMicrotask(run);
    else setImmediate(run);
  }

  /** Sends batches while requests wait and the slots for them are free. */
  private flush(): void {
    while (!this.closed && this.waiting.length > 0) {
      const total = this.waiting.length;
      const batch = this.nextBatch();
      if (batch.length === 0) return; // every waiting request is on a mail already in flight
      const free = this.slots - this.slotsInUse;
      const unchained = Math.min(batch.length, this.slots);
      const chained =
        batch.length > 1 &&
        (this.waiting.length > 0 || free < unchained) &&
        batch.every((entry) => this.options.chainable?.(entry.item) === true);
      if (chained) {
        // What waits is shared out among the slots, counting what running chains still have to do, so the chains of
        // a burst end together rather than one after another.
        const share = Math.ceil((total + this.chainWorkLeft()) / this.slots);
        if (batch.length > share) this.waiting.unshift(...batch.splice(share));
      }
      const need = chained ? 1 : unchained;
      if (need > free) {
        this.waiting.unshift(...batch);
        return;
      }
      this.start(batch, need, chained);
    }
  }

  /** Requests the running chains have yet to run, estimated from their start and the time one request takes. */
  private chainWorkLeft(): number {
    const now = Date.now();
    let left = 0;
    for (const chain of this.chains) {
      const done = this.perItemMs ? (now - chain.started) / this.perItemMs : 0;
      left += Math.max(0, chain.n - done);
    }
    return left;
  }

  /** Up to maxBatch waiting requests, in order, none on a mail that is in flight or already in the batch. */
  private nextBatch(): Entry<T, R>[] {
    const batch: Entry<T, R>[] = [];
    const keys = new Set<string>();
    const rest: Entry<T, R>[] = [];
    for (const entry of this.waiting) {
      const free = entry.key === '' || (!this.busyKeys.has(entry.key) && !keys.has(entry.key));
      if (batch.length < this.maxBatch && free) {
        batch.push(entry);
        if (entry.key !== '') keys.add(entry.key);
      } else rest.push(entry);
    }
    this.waiting.splice(0, this.waiting.length, ...rest);
    return batch;
  }

  private start(batch: Entry<T, R>[], slots: number, chained: boolean): void {
    this.slotsInUse += slots;
    this.runningRequests += batch.length;
    for (const entry of batch) this.busyKeys.set(entry.key, (this.busyKeys.get(entry.key) ?? 0) + 1);
    const again: Entry<T, R>[] = [];
    const chain = chained ? { n: batch.length, started: Date.now() } : undefined;
    if (chain) this.chains.add(chain);
    const task: Promise<void> = this.dispatch(
      batch.map((e) => e.item),
      this.controller.signal,
      chained,
    )
      .then(
        (results) =>
          batch.forEach((entry, i) => {
            // Not run (a 424 after a failed item of the chain): asked again, unless the node is closing.
            if (chained && this.options.notRun?.(results[i])) again.push(entry);
            else entry.resolve(results[i]);
          }),
        (err: unknown) => batch.forEach((entry) => entry.reject(err)),
      )
      .finally(() => {
        this.slotsInUse -= slots;
        this.runningRequests -= batch.length;
        for (const entry of batch) {
          const left = (this.busyKeys.get(entry.key) ?? 1) - 1;
          if (left > 0) this.busyKeys.set(entry.key, left);
          else this.busyKeys.delete(entry.key);
        }
        this.running.delete(task);
        if (chain) {
          this.chains.delete(chain);
          const perItem = (Date.now() - chain.started) / chain.n;
          if (again.length === 0) this.perItemMs = this.perItemMs ? (this.perItemMs + perItem) / 2 : perItem;
        }
        // First in the next batch, in their order: each chain runs its first item, so every round makes progress.
        if (this.closed) for (const entry of again) entry.reject(entry.closedError());
        else this.waiting.unshift(...again);
        this.flush();
        this.changed();
      });
    this.running.add(task);
  }

  private changed(): void {
    this.options.onChange?.(this.runningRequests, this.waiting.length);
  }
}
