/**
 * Turns a stream of notifications into few polls: the first after a quiet spell wakes the engine at once (a mail is
 * fetched within a second of arriving); the ones within the next `minGapMs` join one more wake-up. The poller adds
 * its own rule on top: polls never overlap, and wake-ups during a poll make exactly one more (src/schedule.ts).
 */
export interface CoalescerOptions {
  /** Least time between two wake-ups (default 1 s). */
  minGapMs?: number;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => ReturnType<typeof setTimeout>;
  clearTimer?: (timer: ReturnType<typeof setTimeout>) => void;
}

export class WakeCoalescer {
  private lastAt = Number.NEGATIVE_INFINITY;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private readonly minGapMs: number;
  private readonly now: () => number;
  private readonly setTimer: NonNullable<CoalescerOptions['setTimer']>;
  private readonly clearTimer: NonNullable<CoalescerOptions['clearTimer']>;

  constructor(
    private readonly wakeUp: () => void,
    options: CoalescerOptions = {},
  ) {
    this.minGapMs = options.minGapMs ?? 1000;
    this.now = options.now ?? Date.now;
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = options.clearTimer ?? ((t) => clearTimeout(t));
  }

  /** Wakes the engine now, or once at the end of the gap (however many calls come meanwhile). */
  wake(): void {
    if (this.stopped || this.timer !== null) return;
    const wait = this.lastAt + this.minGapMs - this.now();
    if (wait <= 0) this.fire();
    else this.timer = this.setTimer(() => this.fire(), wait);
  }

  /** Ends the pending wake-up for good. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
  }

  private fire(): void {
    this.timer = null;
    if (this.stopped) return;
    this.lastAt = this.now();
    this.wakeUp();
  }
}
