/**
 * Outlook lets at most 4 operations run at once per mailbox (the 5th gets 429 MailboxConcurrency), whoever sends
 * them. One limiter per mailbox is shared by every node of the runtime; waiters are served in arrival order.
 */

export const MAILBOX_CONCURRENCY = 4;

interface Waiter {
  slots: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** A fair counting semaphore whose waits can be abandoned through an AbortSignal. */
export class Limiter {
  private inUse = 0;
  private readonly queue: Waiter[] = [];

  constructor(readonly capacity: number) {}

  /** Operations running now. */
  get active(): number {
    return this.inUse;
  }

  /** Requests waiting for a slot. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Takes `slots` slots (at most the capacity) and returns the function that gives them back. */
  async acquire(slots = 1, signal?: AbortSignal): Promise<() => void> {
    const wanted = Math.max(1, Math.min(slots, this.capacity));
    signal?.throwIfAborted();
    if (this.queue.length === 0 && this.inUse + wanted <= this.capacity) {
      this.inUse += wanted;
    } else {
      await new Promise<void>((resolve, reject) => {
        const waiter: Waiter = { slots: wanted, resolve, reject };
        const onAbort = () => {
          const index = this.queue.indexOf(waiter);
          if (index >= 0) this.queue.splice(index, 1);
          reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
          this.drain();
        };
        waiter.resolve = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        this.queue.push(waiter);
      });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inUse -= wanted;
      this.drain();
    };
  }

  private drain(): void {
    while (this.queue.length > 0 && this.inUse + this.queue[0].slots <= this.capacity) {
      const next = this.queue.shift() as Waiter;
      this.inUse += next.slots;
      next.resolve();
    }
  }
}

const limiters = new Map<string, Limiter>();

/** The runtime-wide limiter of one mailbox on one Graph endpoint. */
export function mailboxLimiter(graphEndpoint: string, mailbox: string, runtime = ''): Limiter {
  const key = `${runtime}|${graphEndpoint.toLowerCase()}|${mailbox.trim().toLowerCase()}`;
  let limiter = limiters.get(key);
  if (!limiter) {
    limiter = new Limiter(MAILBOX_CONCURRENCY);
    limiters.set(key, limiter);
  }
  return limiter;
}
