/** Injected faults (throttle, fail, failAfter, drop, slow, malformed) and the per-mailbox load model (latency, concurrency, rate). */
import { throttled } from './errors';
import type { FaultMatch, Operation, RateLimit } from './types';

export type FaultRule =
  | { kind: 'throttle'; remaining: number; match: FaultMatch; retryAfter: number | null }
  | {
      kind: 'fail';
      remaining: number;
      match: FaultMatch;
      status: number;
      code: string;
      retryAfter: number | null;
    }
  | { kind: 'drop'; remaining: number; match: FaultMatch; after: boolean }
  | { kind: 'slow'; remaining: number; match: FaultMatch; delayMs: number }
  | { kind: 'malformed'; remaining: number; match: FaultMatch }
  | {
      kind: 'failAfter';
      remaining: number;
      match: FaultMatch;
      status: number;
      code: string;
      retryAfter: number | null;
    };

export interface FaultTarget {
  operation: Operation;
  method: string;
  mailbox: string | null;
  path: string;
  inBatch: boolean;
}

/** Thrown to make the server destroy the connection without an answer. */
export class DropConnection extends Error {
  constructor() {
    super('simulator: connection dropped on purpose');
  }
}

function matches(match: FaultMatch, target: FaultTarget): boolean {
  if (match.operation === undefined) {
    if (target.operation === 'token' || target.operation === 'discovery') return false;
  } else {
    const ops = Array.isArray(match.operation) ? match.operation : [match.operation];
    if (!ops.includes(target.operation)) return false;
  }
  if (match.method !== undefined && match.method.toUpperCase() !== target.method.toUpperCase()) return false;
  if (match.mailbox !== undefined && match.mailbox.toLowerCase() !== (target.mailbox ?? '').toLowerCase())
    return false;
  if (match.pathIncludes !== undefined && !target.path.includes(match.pathIncludes)) return false;
  if (match.inBatch !== undefined && match.inBatch !== target.inBatch) return false;
  return true;
}

/** The queue of pending faults: each applies to the next n matching operations, first added first. */
export class FaultQueue {
  private rules: FaultRule[] = [];

  add(rule: FaultRule): void {
    if (!Number.isInteger(rule.remaining) || rule.remaining < 0) {
      throw new Error(`simulator: fault count must be a whole number >= 0, got ${rule.remaining}`);
    }
    if (rule.remaining > 0) this.rules.push(rule);
  }

  /** Takes one use of the first rule that matches, if any. */
  take(target: FaultTarget): FaultRule | undefined {
    const rule = this.rules.find((r) => r.remaining > 0 && matches(r.match, target));
    if (!rule) return undefined;
    rule.remaining--;
    this.rules = this.rules.filter((r) => r.remaining > 0);
    return rule;
  }

  clear(): void {
    this.rules = [];
  }

  get pending(): number {
    return this.rules.reduce((n, r) => n + r.remaining, 0);
  }
}

/** Sliding-window timestamps of one mailbox's accepted operations. */
class Window {
  private stamps: number[] = [];
  private head = 0;

  prune(now: number, windowMs: number): void {
    while (this.head < this.stamps.length && this.stamps[this.head] <= now - windowMs) this.head++;
    if (this.head > 4096) {
      this.stamps = this.stamps.slice(this.head);
      this.head = 0;
    }
  }

  get size(): number {
    return this.stamps.length - this.head;
  }

  oldest(): number {
    return this.stamps[this.head];
  }

  push(now: number): void {
    this.stamps.push(now);
  }
}

/** Per-mailbox limits as Exchange Online applies them to one application. */
export class MailboxLimits {
  private readonly inFlight = new Map<string, number>();
  private readonly windows = new Map<string, Window>();

  constructor(
    public latencyMs: number,
    public concurrencyLimit: number,
    public rateLimit: RateLimit | null,
    private readonly onInFlight: (mailbox: string, inFlight: number) => void,
  ) {}

  /** Runs one operation on a mailbox while holding a slot; throws 429 when over a limit. */
  async run<T>(mailbox: string, operation: () => Promise<T>): Promise<T> {
    const now = Date.now();
    if (this.rateLimit) {
      let window = this.windows.get(mailbox);
      if (!window) this.windows.set(mailbox, (window = new Window()));
      window.prune(now, this.rateLimit.windowMs);
      if (window.size >= this.rateLimit.operations) {
        const retryAfter = Math.max(1, Math.ceil((window.oldest() + this.rateLimit.windowMs - now) / 1000));
        throw throttled('MailboxRate', retryAfter);
      }
      window.push(now);
    }
    const current = this.inFlight.get(mailbox) ?? 0;
    if (this.concurrencyLimit > 0 && current >= this.concurrencyLimit)
      throw throttled('MailboxConcurrency', 1);
    this.inFlight.set(mailbox, current + 1);
    this.onInFlight(mailbox, current + 1);
    try {
      if (this.latencyMs > 0) await delay(this.latencyMs);
      return await operation();
    } finally {
      this.inFlight.set(mailbox, (this.inFlight.get(mailbox) ?? 1) - 1);
    }
  }
}

/** Bytes uploaded (PATCH, POST, PUT bodies) per app and mailbox in a sliding window; 429 over the limit. */
export class UploadVolume {
  private readonly windows = new Map<string, { at: number; bytes: number }[]>();

  constructor(public limit: { bytes: number; windowMs: number } | null) {}

  /** Counts `bytes` for `key`, or throws 429 (nothing counted) when they would go over the limit. */
  admit(key: string, bytes: number, now = Date.now()): void {
    const limit = this.limit;
    if (!limit || bytes <= 0) return;
    const entries = (this.windows.get(key) ?? []).filter((e) => e.at > now - limit.windowMs);
    this.windows.set(key, entries);
    let total = entries.reduce((n, e) => n + e.bytes, 0);
    if (total + bytes > limit.bytes) {
      // Retry-After: until enough of the window has passed for this request to fit.
      let until = now;
      for (const e of entries) {
        if (total + bytes <= limit.bytes) break;
        total -= e.bytes;
        until = e.at + limit.windowMs;
      }
      throw throttled('MailboxUpload', Math.max(1, Math.ceil((until - now) / 1000)));
    }
    entries.push({ at: now, bytes });
  }

  /** Bytes counted for a key in the current window. */
  used(key: string, now = Date.now()): number {
    const limit = this.limit;
    if (!limit) return 0;
    return (this.windows.get(key) ?? [])
      .filter((e) => e.at > now - limit.windowMs)
      .reduce((n, e) => n + e.bytes, 0);
  }

  clear(): void {
    this.windows.clear();
  }
}

/** Resolves after ms milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
