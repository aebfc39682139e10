/**
 * One node's change-notification subscription, from subscribe to delete: cleans up what an earlier run left behind,
 * subscribes to the folder's new messages with a clientState of its own, renews before the expiration Graph returned,
 * answers lifecycle notifications, and wakes the receive engine for every authentic notification. When the
 * subscription cannot be made it reports why and tries again later; the node's safety-net polls go on meanwhile.
 */
import { randomBytes } from 'node:crypto';
import {
  FORMER_MESSAGE_SUBSCRIPTION_MINUTES,
  GraphSubscription,
  MESSAGE_SUBSCRIPTION_MINUTES,
  NewSubscription,
  SubscriptionProblemCode,
  subscriptionFailureText,
  subscriptionProblem,
} from '../graph/subscriptions';
import { NotificationItem, sameSecret } from './notifications';

/** The subscription operations the channel uses (SubscriptionApi, or a fake in tests). */
export interface SubscriptionOperations {
  create(subscription: NewSubscription, signal?: AbortSignal): Promise<GraphSubscription>;
  renew(id: string, expirationDateTime: string, signal?: AbortSignal): Promise<GraphSubscription>;
  reauthorize(id: string, signal?: AbortSignal): Promise<void>;
  delete(id: string, signal?: AbortSignal): Promise<void>;
  list(signal?: AbortSignal): Promise<GraphSubscription[]>;
}

/** Where the ids of this node's subscriptions are kept, so a run after a crash can delete them. */
export interface SubscriptionMemory {
  load(): Promise<string[]>;
  save(ids: string[]): Promise<void>;
}

/** Why the receive engine is woken. */
export type WakeReason = 'notification' | 'missed' | 'resubscribed' | 'reauthorized';

export type PushState =
  | { kind: 'subscribing' }
  | { kind: 'active'; subscriptionId: string; expiresAt: Date }
  | { kind: 'fallback'; problem: SubscriptionProblemCode; detail: string; retryAt: Date | null }
  | { kind: 'stopped' };

export interface PushChannelOptions {
  api: SubscriptionOperations;
  notificationUrl: string;
  /** The subscription's resource (`users/{id}/mailFolders/{id}/messages`); may need Graph to find the folder. */
  resource: (signal: AbortSignal) => Promise<string>;
  wake: (reason: WakeReason) => void;
  onState: (state: PushState) => void;
  /** Told of things worth a warning that change nothing (a failed clean-up, notifications ignored). */
  warn: (notice: { key: 'cleanup-failed' | 'renew-failed'; detail: string }) => void;
  memory: SubscriptionMemory;
  /**
   * Whether a listed subscription of another path is an orphan to delete too: one at a node path of this Node-RED that
   * no node uses any more (the node was removed or changed while Node-RED was down). Asked at the moment of deleting.
   */
  orphaned?: (subscription: GraphSubscription) => boolean;
  /** First wait before trying to subscribe again (default 1 min); doubles up to retryMaxMs (default 1 h). */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** stop() ends within this (default 5 s), the delete included. */
  stopTimeoutMs?: number;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => ReturnType<typeof setTimeout>;
  clearTimer?: (timer: ReturnType<typeof setTimeout>) => void;
  /** A fresh clientState (default: 32 random bytes, base64url). */
  secret?: () => string;
}

interface Current {
  id: string;
  clientState: string;
  expiresAt: number;
}

/** Counters for the status line, the log and tests. */
export interface ChannelStats {
  notifications: number;
  ignored: number;
  subscribed: number;
  renewed: number;
  lifecycle: number;
}

/** The subscription lifecycle of one node. Operations run one at a time, in order. */
export class PushChannel {
  readonly stats: ChannelStats = { notifications: 0, ignored: 0, subscribed: 0, renewed: 0, lifecycle: 0 };
  private current: Current | null = null;
  /** The clientState of a create in flight: Graph may notify before its answer arrives. */
  private pendingClientState: string | null = null;
  private lifetimeMinutes = MESSAGE_SUBSCRIPTION_MINUTES;
  private failures = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private queue: Promise<void> = Promise.resolve();
  private readonly controller = new AbortController();
  private stopped = false;
  private readonly now: () => number;
  private readonly setTimer: NonNullable<PushChannelOptions['setTimer']>;
  private readonly clearTimer: NonNullable<PushChannelOptions['clearTimer']>;

  constructor(private readonly options: PushChannelOptions) {
    this.now = options.now ?? Date.now;
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = options.clearTimer ?? ((t) => clearTimeout(t));
  }

  /** The subscription in use, if any. */
  get subscriptionId(): string | null {
    return this.current?.id ?? null;
  }

  /** Cleans up what an earlier run left, then subscribes. */
  start(): void {
    this.enqueue(async () => {
      await this.cleanUp();
      await this.subscribe();
    });
  }

  /**
   * The account works again (a new sign-in): subscribe now (or renew now, if renewals were failing) instead of at
   * the next retry, which may be an hour away after a long time signed out.
   */
  resume(): void {
    if (this.stopped) return;
    this.failures = 0;
    this.cancelTimer();
    this.enqueue(async () => {
      if (this.current) await this.renew();
      else await this.subscribe();
    });
  }

  /** Handles the notifications of one POST; anything not from this node's subscription is only counted. */
  receive(items: NotificationItem[]): void {
    if (this.stopped) return;
    for (const item of items) {
      if (!this.authentic(item)) {
        this.stats.ignored++;
        continue;
      }
      if (item.lifecycleEvent) this.lifecycle(item.lifecycleEvent);
      else {
        this.stats.notifications++;
        this.options.wake('notification');
      }
    }
  }

  /** Stops timers and work in progress and deletes the subscription, all within stopTimeoutMs. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.cancelTimer();
    const budget = this.options.stopTimeoutMs ?? 5000;
    const deadline = this.now() + budget;
    // A create in flight is let finish (half the budget), so its subscription can be deleted rather than left behind;
    // anything else is abandoned at once.
    if (this.pendingClientState === null) this.controller.abort();
    await withTimeout(this.queue, budget / 2).catch(() => undefined);
    this.controller.abort();
    const current = this.current;
    this.current = null;
    if (current) {
      const deleting = new AbortController();
      try {
        await withTimeout(
          this.options.api.delete(current.id, deleting.signal),
          Math.max(0, deadline - this.now()),
        );
        await withTimeout(this.options.memory.save([]), Math.max(0, deadline - this.now()));
      } catch {
        // Left for the next start's clean-up (by URL or remembered id) or for Graph's expiry.
      } finally {
        deleting.abort();
      }
    }
    this.options.onState({ kind: 'stopped' });
  }

  private authentic(item: NotificationItem): boolean {
    const current = this.current;
    if (current && item.subscriptionId === current.id && sameSecret(item.clientState, current.clientState))
      return true;
    return this.pendingClientState !== null && sameSecret(item.clientState, this.pendingClientState);
  }

  private lifecycle(event: string): void {
    this.stats.lifecycle++;
    if (event === 'missed') {
      // Some notifications were not delivered: a poll finds their mail.
      this.options.wake('missed');
    } else if (event === 'subscriptionRemoved') {
      this.enqueue(async () => {
        this.current = null;
        await this.subscribe();
        this.options.wake('resubscribed');
      });
    } else if (event === 'reauthorizationRequired') {
      this.enqueue(() => this.reauthorize());
    }
  }

  /**
   * Deletes the subscriptions an earlier run of this node left (same notification URL, or a remembered id), and those
   * the `orphaned` rule names (paths of nodes that are gone).
   */
  private async cleanUp(): Promise<void> {
    const signal = this.controller.signal;
    let remembered: string[] = [];
    try {
      remembered = await this.options.memory.load();
    } catch {
      // Nothing remembered: the URL still finds them.
    }
    let stale = new Set(remembered);
    let orphans: GraphSubscription[] = [];
    try {
      const listed = await this.options.api.list(signal);
      stale = new Set([
        ...listed.filter((s) => s.notificationUrl === this.options.notificationUrl).map((s) => s.id),
        ...remembered.filter((id) => listed.some((s) => s.id === id)),
      ]);
      orphans = listed.filter((s) => !stale.has(s.id));
    } catch (err) {
      if (this.stopped) return;
      this.options.warn({ key: 'cleanup-failed', detail: (err as Error).message });
    }
    for (const id of stale) if (!(await this.deleteLeftover(id))) return;
    // Decided one by one, just before deleting: a node that started meanwhile keeps its subscription.
    for (const orphan of orphans) {
      if (this.options.orphaned?.(orphan) && !(await this.deleteLeftover(orphan.id))) return;
    }
  }

  /** Deletes a leftover subscription; a failure is only a warning (it expires on its own). False once stopped. */
  private async deleteLeftover(id: string): Promise<boolean> {
    try {
      await this.options.api.delete(id, this.controller.signal);
    } catch (err) {
      if (this.stopped) return false;
      this.options.warn({ key: 'cleanup-failed', detail: (err as Error).message });
    }
    return !this.stopped;
  }

  private async subscribe(): Promise<void> {
    if (this.stopped) return;
    this.options.onState({ kind: 'subscribing' });
    const signal = this.controller.signal;
    try {
      const resource = await this.options.resource(signal);
      const clientState = this.options.secret?.() ?? randomBytes(32).toString('base64url');
      this.pendingClientState = clientState;
      const created = await this.withLifetime((minutes) =>
        this.options.api.create(
          {
            resource,
            changeType: 'created',
            notificationUrl: this.options.notificationUrl,
            lifecycleNotificationUrl: this.options.notificationUrl,
            clientState,
            expirationDateTime: this.expiration(minutes),
          },
          signal,
        ),
      );
      this.current = { id: created.id, clientState, expiresAt: Date.parse(created.expirationDateTime) };
      this.stats.subscribed++;
      this.failures = 0;
      await this.options.memory.save([created.id]).catch(() => undefined);
      if (this.stopped) return;
      this.activated();
    } catch (err) {
      if (this.stopped) return;
      this.fallback(err);
    } finally {
      this.pendingClientState = null;
    }
  }

  private async renew(): Promise<void> {
    const current = this.current;
    if (this.stopped || !current) return;
    try {
      const renewed = await this.withLifetime((minutes) =>
        this.options.api.renew(current.id, this.expiration(minutes), this.controller.signal),
      );
      current.expiresAt = Date.parse(renewed.expirationDateTime);
      this.stats.renewed++;
      this.failures = 0;
      this.activated();
    } catch (err) {
      if (this.stopped) return;
      if (subscriptionProblem(err) === 'not-found' || this.now() >= current.expiresAt) {
        // Gone (or expired while renewals failed): mail may have arrived unnoticed meanwhile.
        this.current = null;
        await this.subscribe();
        this.options.wake('resubscribed');
        return;
      }
      this.failures++;
      this.options.warn({ key: 'renew-failed', detail: subscriptionFailureText(err) });
      const wait = Math.min(this.backoff(), Math.max(1000, (current.expiresAt - this.now()) / 2));
      this.arm(wait, () => this.renew());
    }
  }

  /** reauthorizationRequired: reauthorize, or renew (which reauthorizes too), then poll for what the pause hid. */
  private async reauthorize(): Promise<void> {
    const current = this.current;
    if (this.stopped || !current) return;
    try {
      await this.options.api.reauthorize(current.id, this.controller.signal);
    } catch (err) {
      if (this.stopped) return;
      if (subscriptionProblem(err) === 'not-found') {
        this.current = null;
        await this.subscribe();
        this.options.wake('resubscribed');
        return;
      }
      this.cancelTimer();
      await this.renew();
    }
    if (!this.stopped) this.options.wake('reauthorized');
  }

  /** Graph refusing the documented lifetime means it still enforces the former one: use that from now on. */
  private async withLifetime(
    request: (minutes: number) => Promise<GraphSubscription>,
  ): Promise<GraphSubscription> {
    try {
      return await request(this.lifetimeMinutes);
    } catch (err) {
      if (
        subscriptionProblem(err) !== 'expiration-rejected' ||
        this.lifetimeMinutes === FORMER_MESSAGE_SUBSCRIPTION_MINUTES
      )
        throw err;
      this.lifetimeMinutes = FORMER_MESSAGE_SUBSCRIPTION_MINUTES;
      return request(this.lifetimeMinutes);
    }
  }

  private activated(): void {
    const current = this.current as Current;
    this.options.onState({
      kind: 'active',
      subscriptionId: current.id,
      expiresAt: new Date(current.expiresAt),
    });
    // Renew ahead of the expiration Graph returned: an hour ahead, or a quarter of a short lifetime.
    const remaining = current.expiresAt - this.now();
    this.arm(Math.max(0, remaining - Math.min(3_600_000, remaining / 4)), () => this.renew());
  }

  private fallback(err: unknown): void {
    const problem = subscriptionProblem(err);
    this.failures++;
    // Every cause may go away (endpoint back up, permission granted, limit freed): try again, less and less often.
    const retryIn = this.backoff();
    this.options.onState({
      kind: 'fallback',
      problem,
      detail: subscriptionFailureText(err),
      retryAt: retryIn === null ? null : new Date(this.now() + retryIn),
    });
    if (retryIn !== null) this.arm(retryIn, () => this.subscribe());
  }

  private backoff(): number {
    const min = this.options.retryMinMs ?? 60_000;
    const max = this.options.retryMaxMs ?? 3_600_000;
    return Math.min(max, min * 2 ** Math.max(0, this.failures - 1));
  }

  private expiration(minutes: number): string {
    return new Date(this.now() + minutes * 60_000).toISOString();
  }

  private arm(ms: number, task: () => Promise<void>): void {
    this.cancelTimer();
    if (this.stopped) return;
    this.timer = this.setTimer(() => {
      this.timer = null;
      this.enqueue(task);
    }, ms);
  }

  private cancelTimer(): void {
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
  }

  /** Runs tasks one after another; a task's failure never stops the ones after it. */
  private enqueue(task: () => Promise<void>): void {
    if (this.stopped) return;
    this.queue = this.queue.then(() => (this.stopped ? undefined : task())).catch(() => undefined);
  }
}

/** Resolves with the promise, or after `ms` (then rejects with a timeout), whichever comes first. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
