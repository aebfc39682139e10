/**
 * Gathers the requests that arrive together for one mailbox into batches, so a burst of actions costs one `$batch`
 * round trip per 20 instead of one per mail, without holding a lone request back:
 * - a request waits at most until the next turn of the event loop (a burst that arrives in one turn is one batch);
 * - 20 waiting requests leave at once;
 * - a batch leaves only when the mailbox slots it takes are free (Outlook runs 4 requests of an app per mailbox at
 *   once, 4 items of a batch at a time), so what arrives meanwhile gathers into the next batch.
 * Two requests on the same mail (same key) never run at the same time and keep their order.
 */
import { settledWithin } from '../wait';

export interface CoalescerOptions<T> {
  /** Requests in one batch (Graph's `$batch` limit: 20). */
  maxBatch?: number;
  /** Mailbox slots this coalescer may hold at once (Outlook: 4). */
  slots?: number;
  /** Slots a batch of n requests holds (a `$batch` runs up to 4 of its items at a time). */
  slotsFor?: (n: number) => number;
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
}

/** Runs requests through `dispatch` in batches; see the module comment for when a batch leaves. */
export class Coalescer<T, R> {
  private readonly waiting: Entry<T, R>[] = [];
  private readonly running = new Set<Promise<void>>();
  private readonly busyKeys = new Map<string, number>();
  private readonly controller = new AbortController();
  private readonly maxBatch: number;
  private readonly slots: number;
  private readonly slotsFor: (n: number) => number;
  private readonly keyOf: (item: T) => string;
  private slotsInUse = 0;
  private runningRequests = 0;
  private flushPending = false;
  private closed = false;

  constructor(
    private readonly dispatch: (items: T[], signal: AbortSignal) => Promise<R[]>,
    private readonly options: CoalescerOptions<T> = {},
  ) {
    this.maxBatch = Math.max(1, options.maxBatch ?? 20);
    this.slots = Math.max(1, options.slots ?? 4);
    this.slotsFor = options.slotsFor ?? ((n) => Math.min(n, this.slots));
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
      this.waiting.push({ item, key: this.keyOf(item), resolve, reject });
      if (this.waiting.length >= this.maxBatch) this.flush();
      else this.flushSoon();
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

  private flushSoon(): void {
    if (this.flushPending) return;
    this.flushPending = true;
    setImmediate(() => {
      this.flushPending = false;
      this.flush();
    });
  }

  /** Sends batches while requests wait and the slots for them are free. */
  private flush(): void {
    while (!this.closed && this.waiting.length > 0) {
      const batch = this.nextBatch();
      if (batch.length === 0) return; // every waiting request is on a mail already in flight
      const need = this.slotsFor(batch.length);
      if (this.slotsInUse + need > this.slots) {
        this.waiting.unshift(...batch);
        return;
      }
      this.start(batch, need);
    }
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

  private start(batch: Entry<T, R>[], slots: number): void {
    this.slotsInUse += slots;
    this.runningRequests += batch.length;
    for (const entry of batch) this.busyKeys.set(entry.key, (this.busyKeys.get(entry.key) ?? 0) + 1);
    const task: Promise<void> = this.dispatch(
      batch.map((e) => e.item),
      this.controller.signal,
    )
      .then(
        (results) => batch.forEach((entry, i) => entry.resolve(results[i])),
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
        this.flush();
        this.changed();
      });
    this.running.add(task);
  }

  private changed(): void {
    this.options.onChange?.(this.runningRequests, this.waiting.length);
  }
}
