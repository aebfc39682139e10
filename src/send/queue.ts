/**
 * One node's input queue: jobs start strictly in arrival order, at most `concurrency` at a time (Outlook's 4 per
 * mailbox), so a burst is sent at Exchange's pace while later input waits its turn. Closing never waits unbounded.
 */
import { settledWithin } from '../wait';

export interface QueueOptions {
  /** Jobs running at once (default 4). */
  concurrency?: number;
  /** Told whenever the number of running or waiting jobs changes. */
  onChange?: (running: number, waiting: number) => void;
}

export interface CloseOptions {
  /** How long running jobs may finish on their own before they are aborted (default 3 s). */
  graceMs?: number;
  /** How long aborted jobs may take to wind up (cleaning drafts) before close gives up on them (default 2 s). */
  abortGraceMs?: number;
}

/** A FIFO of jobs run with bounded concurrency; each job gets an AbortSignal that fires when the queue closes. */
export class SendQueue<T> {
  private readonly waiting: T[] = [];
  private readonly running = new Set<Promise<void>>();
  private readonly controller = new AbortController();
  private readonly concurrency: number;
  private closed = false;

  constructor(
    private readonly run: (job: T, signal: AbortSignal) => Promise<void>,
    private readonly options: QueueOptions = {},
  ) {
    this.concurrency = Math.max(1, options.concurrency ?? 4);
  }

  /** Jobs running now. */
  get active(): number {
    return this.running.size;
  }

  /** Jobs waiting for their turn. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Adds a job; false when the queue is closed (the job will not run). */
  push(job: T): boolean {
    if (this.closed) return false;
    this.waiting.push(job);
    this.pump();
    return true;
  }

  /**
   * Stops taking jobs and returns those that never started (the caller tells their senders). Running jobs get
   * `graceMs` to finish, then their signal aborts and they get `abortGraceMs` more; close resolves by then at the latest.
   */
  async close(options: CloseOptions = {}): Promise<T[]> {
    this.closed = true;
    const notStarted = this.waiting.splice(0);
    this.changed();
    if (this.running.size > 0 && !(await settledWithin(this.running, options.graceMs ?? 3000))) {
      this.controller.abort(new Error('node closed'));
      await settledWithin(this.running, options.abortGraceMs ?? 2000);
    }
    return notStarted;
  }

  private pump(): void {
    while (!this.closed && this.running.size < this.concurrency && this.waiting.length > 0) {
      const job = this.waiting.shift() as T;
      const task: Promise<void> = this.run(job, this.controller.signal)
        .catch(() => undefined) // a job reports its own failure; the queue only keeps going
        .finally(() => {
          this.running.delete(task);
          this.pump();
        });
      this.running.add(task);
    }
    this.changed();
  }

  private changed(): void {
    this.options.onChange?.(this.running.size, this.waiting.length);
  }
}
