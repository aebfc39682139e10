/**
 * Graph's outgoing side of change notifications: the validation request sent before a subscription is created, the
 * delivery of change and lifecycle notifications (delay, loss, duplication, batching, retries), and the rule that
 * slow endpoints are throttled and then dropped. Every request is bounded and ended on stop().
 */
import * as crypto from 'node:crypto';
import * as https from 'node:https';
import * as tls from 'node:tls';
import { GraphFailure } from './errors';

/** Graph's timings (Microsoft's documented values by default); tests compress them. */
export interface PushTiming {
  /** The endpoint must answer the validation request within this (10 s). */
  validationTimeoutMs: number;
  /** Notifications are published with an HTTP client timeout of 3 s. */
  deliveryTimeoutMs: number;
  /** A publish slower than this (2900 ms) counts as a slow response. */
  slowMs: number;
  /** Slow responses are judged once an endpoint received this many notifications (100). */
  sampleSize: number;
  /** At this share of slow responses (10 %) the endpoint is throttled. */
  slowThreshold: number;
  /** At this share (15 %) the throttled endpoint's notifications are dropped. */
  dropThreshold: number;
  /** The counts are flushed this often (10 min). */
  windowMs: number;
  /** A throttled endpoint's notifications wait this long (10 min). */
  throttleDelayMs: number;
  /** A failed delivery is tried again after this (10 min)... */
  retryDelayMs: number;
  /** ...for at most this long (4 h), then discarded. */
  maxRetryAgeMs: number;
}

export const GRAPH_PUSH_TIMING: PushTiming = {
  validationTimeoutMs: 10_000,
  deliveryTimeoutMs: 3_000,
  slowMs: 2_900,
  sampleSize: 100,
  slowThreshold: 0.1,
  dropThreshold: 0.15,
  windowMs: 600_000,
  throttleDelayMs: 600_000,
  retryDelayMs: 600_000,
  maxRetryAgeMs: 4 * 3_600_000,
};

/** What happens to change notifications on their way (test controls; Graph's own are delay 0, no loss). */
export interface NotificationBehaviour {
  delayMs: number;
  /** Share of change notifications never sent (0..1). */
  lossRate: number;
  /** Share of change notifications sent twice (0..1). */
  duplicateRate: number;
  /** Notifications due together for one URL share a POST, at most this many. */
  maxBatch: number;
}

export type LifecycleEvent = 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed';

/** One request the simulator sent (or a notification it decided not to send). */
export interface DeliveryRecord {
  at: Date;
  kind: 'validation' | 'change' | 'lifecycle';
  url: string;
  subscriptionIds: string[];
  /** Notifications in the POST. */
  count: number;
  lifecycleEvent?: LifecycleEvent;
  /** HTTP status, 0 when there was no answer. */
  status: number;
  ms: number;
  outcome: 'ok' | 'slow' | 'failed' | 'timeout' | 'lost' | 'dropped' | 'retry';
}

/** A notification waiting to be published. */
export interface PendingNotification {
  url: string;
  subscriptionId: string;
  kind: 'change' | 'lifecycle';
  lifecycleEvent?: LifecycleEvent;
  item: Record<string, unknown>;
  firstDueAt: number;
  dueAt: number;
}

interface EndpointState {
  responses: number;
  slow: number;
  state: 'normal' | 'throttled' | 'dropping';
}

interface Answer {
  status: number;
  body: string;
  contentType: string;
  ms: number;
  timedOut: boolean;
}

/** Sends Graph's requests to notification URLs. */
export class PushDelivery {
  timing: PushTiming = { ...GRAPH_PUSH_TIMING };
  behaviour: NotificationBehaviour = { delayMs: 0, lossRate: 0, duplicateRate: 0, maxBatch: 50 };
  readonly records: DeliveryRecord[] = [];
  private readonly queues = new Map<string, PendingNotification[]>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly flushing = new Set<string>();
  private readonly endpoints = new Map<string, EndpointState>();
  private readonly requests = new Set<{ destroy(): void }>();
  private agent: https.Agent;
  private windowTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly onDropped: (subscriptionId: string) => void,
    private readonly random: () => number = Math.random,
  ) {
    this.agent = this.newAgent([]);
  }

  /** Trusts these CA certificates (PEM) besides Node's roots when calling notification URLs. */
  trust(certificates: string[]): void {
    this.agent.destroy();
    this.agent = this.newAgent(certificates);
  }

  private newAgent(certificates: string[]): https.Agent {
    return new https.Agent({ keepAlive: true, ca: [...tls.rootCertificates, ...certificates] });
  }

  /**
   * Graph's validation request: POST {url}?validationToken=... with an empty text/plain body; the answer must be 200,
   * text/plain and exactly the token, within validationTimeoutMs. Throws Graph's 400 answer when it is not.
   */
  async validate(url: string): Promise<void> {
    const token = `Validation: Testing client application reachability for subscription Request-Id: ${crypto.randomUUID()}`;
    const target = new URL(url);
    target.searchParams.append('validationToken', token);
    const answer = await this.post(
      target.toString(),
      '',
      'text/plain; charset=utf-8',
      this.timing.validationTimeoutMs,
    );
    const ok = answer.status === 200 && answer.body === token && /^text\/plain\b/i.test(answer.contentType);
    this.record({
      kind: 'validation',
      url,
      subscriptionIds: [],
      count: 0,
      status: answer.status,
      ms: answer.ms,
      outcome: ok ? 'ok' : answer.timedOut ? 'timeout' : 'failed',
    });
    if (ok) return;
    if (answer.timedOut)
      throw new GraphFailure(400, 'ValidationError', 'Subscription validation request timed out.');
    if (answer.status === 200 && answer.body !== token) {
      throw new GraphFailure(
        400,
        'ValidationError',
        'Subscription validation request failed. Response must exactly match validationToken query parameter.',
      );
    }
    if (answer.status === 200) {
      throw new GraphFailure(
        400,
        'ValidationError',
        'Subscription validation request failed. Response must be of content type text/plain.',
      );
    }
    const status = answer.status ? ` HTTP status code is '${statusName(answer.status)}'.` : '';
    throw new GraphFailure(
      400,
      'ValidationError',
      `Subscription validation request failed.${status} Notification endpoint must respond with 200 OK to validation request.`,
    );
  }

  /** Queues a change notification (subject to the loss, duplication and delay settings). */
  change(url: string, subscriptionId: string, item: Record<string, unknown>): void {
    if (this.stopped) return;
    if (this.random() < this.behaviour.lossRate) {
      this.record({
        kind: 'change',
        url,
        subscriptionIds: [subscriptionId],
        count: 1,
        status: 0,
        ms: 0,
        outcome: 'lost',
      });
      return;
    }
    const copies = this.random() < this.behaviour.duplicateRate ? 2 : 1;
    for (let i = 0; i < copies; i++) this.enqueue(url, subscriptionId, 'change', item);
  }

  /** Queues a lifecycle notification (never lost or duplicated). */
  lifecycle(url: string, subscriptionId: string, event: LifecycleEvent, item: Record<string, unknown>): void {
    if (this.stopped) return;
    this.enqueue(url, subscriptionId, 'lifecycle', item, event);
  }

  /** Notifications waiting (due later, or being retried). */
  get pending(): number {
    let n = 0;
    for (const queue of this.queues.values()) n += queue.length;
    return n;
  }

  /** Whether Graph currently throttles or drops notifications for this URL. */
  endpointState(url: string): EndpointState['state'] {
    return this.endpoints.get(endpointKey(url))?.state ?? 'normal';
  }

  /** Forgets the slow-response history of every endpoint (what the 10-minute flush does). */
  flushWindow(): void {
    this.endpoints.clear();
  }

  /** Ends every timer and request at once. */
  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    if (this.windowTimer) clearInterval(this.windowTimer);
    this.windowTimer = null;
    for (const request of this.requests) request.destroy();
    this.requests.clear();
    this.queues.clear();
    this.agent.destroy();
  }

  private enqueue(
    url: string,
    subscriptionId: string,
    kind: 'change' | 'lifecycle',
    item: Record<string, unknown>,
    lifecycleEvent?: LifecycleEvent,
  ): void {
    const endpoint = this.endpointState(url);
    if (kind === 'change' && endpoint === 'dropping') {
      this.record({
        kind,
        url,
        subscriptionIds: [subscriptionId],
        count: 1,
        status: 0,
        ms: 0,
        outcome: 'dropped',
      });
      this.onDropped(subscriptionId);
      return;
    }
    const now = Date.now();
    const delay =
      this.behaviour.delayMs +
      (kind === 'change' && endpoint === 'throttled' ? this.timing.throttleDelayMs : 0);
    const pending: PendingNotification = {
      url,
      subscriptionId,
      kind,
      lifecycleEvent,
      item,
      firstDueAt: now + delay,
      dueAt: now + delay,
    };
    const queue = this.queues.get(url) ?? [];
    queue.push(pending);
    this.queues.set(url, queue);
    this.ensureWindowTimer();
    this.schedule(url);
  }

  private ensureWindowTimer(): void {
    if (this.windowTimer) return;
    this.windowTimer = setInterval(() => this.flushWindow(), this.timing.windowMs);
    this.windowTimer.unref();
  }

  /** Arms the URL's timer for its earliest due notification. */
  private schedule(url: string): void {
    if (this.stopped || this.flushing.has(url)) return;
    const queue = this.queues.get(url);
    if (!queue || queue.length === 0) return;
    const next = Math.min(...queue.map((p) => p.dueAt));
    const existing = this.timers.get(url);
    if (existing) clearTimeout(existing);
    const timer = setTimeout(
      () => {
        this.timers.delete(url);
        void this.flush(url);
      },
      Math.max(0, next - Date.now()),
    );
    this.timers.set(url, timer);
  }

  /** Publishes what is due for one URL, one POST at a time (a slow endpoint backs its own queue up). */
  private async flush(url: string): Promise<void> {
    this.flushing.add(url);
    try {
      for (;;) {
        const queue = this.queues.get(url) ?? [];
        const now = Date.now();
        const due = queue.filter((p) => p.dueAt <= now);
        if (due.length === 0 || this.stopped) break;
        // Change and lifecycle notifications travel in separate POSTs, as their kinds differ.
        const kind = due[0].kind;
        const batch = due.filter((p) => p.kind === kind).slice(0, this.behaviour.maxBatch);
        this.queues.set(
          url,
          queue.filter((p) => !batch.includes(p)),
        );
        await this.publish(url, batch);
      }
    } finally {
      this.flushing.delete(url);
      this.schedule(url);
    }
  }

  private async publish(url: string, batch: PendingNotification[]): Promise<void> {
    const body = JSON.stringify({ value: batch.map((p) => p.item) });
    const answer = await this.post(
      url,
      body,
      'application/json; charset=utf-8',
      this.timing.deliveryTimeoutMs,
    );
    if (this.stopped) return;
    const delivered = answer.status >= 200 && answer.status < 300 && !answer.timedOut;
    const slow = answer.timedOut || answer.ms > this.timing.slowMs;
    this.judge(url, slow);
    this.record({
      kind: batch[0].kind,
      url,
      subscriptionIds: [...new Set(batch.map((p) => p.subscriptionId))],
      count: batch.length,
      lifecycleEvent: batch[0].lifecycleEvent,
      status: answer.status,
      ms: answer.ms,
      outcome: delivered ? (slow ? 'slow' : 'ok') : answer.timedOut ? 'timeout' : 'failed',
    });
    if (delivered) return;
    const retryAt = Date.now() + this.timing.retryDelayMs;
    const queue = this.queues.get(url) ?? [];
    for (const pending of batch) {
      if (retryAt - pending.firstDueAt > this.timing.maxRetryAgeMs) {
        this.record({
          kind: pending.kind,
          url,
          subscriptionIds: [pending.subscriptionId],
          count: 1,
          status: 0,
          ms: 0,
          outcome: 'dropped',
        });
        if (pending.kind === 'change') this.onDropped(pending.subscriptionId);
      } else {
        queue.push({ ...pending, dueAt: retryAt });
      }
    }
    this.queues.set(url, queue);
  }

  /** Counts one publish towards the endpoint's slow share; flags it once the sample is large enough. */
  private judge(url: string, slow: boolean): void {
    const key = endpointKey(url);
    const state = this.endpoints.get(key) ?? { responses: 0, slow: 0, state: 'normal' as const };
    state.responses++;
    if (slow) state.slow++;
    if (state.responses >= this.timing.sampleSize) {
      const share = state.slow / state.responses;
      state.state =
        share >= this.timing.dropThreshold
          ? 'dropping'
          : share >= this.timing.slowThreshold
            ? 'throttled'
            : 'normal';
    }
    this.endpoints.set(key, state);
  }

  private record(entry: Omit<DeliveryRecord, 'at'>): void {
    this.records.push({ at: new Date(), ...entry });
  }

  /** One POST with a hard timeout; never throws (no answer is status 0). */
  private post(url: string, body: string, contentType: string, timeoutMs: number): Promise<Answer> {
    const started = Date.now();
    return new Promise((resolve) => {
      let settled = false;
      const finish = (answer: Omit<Answer, 'ms'>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.requests.delete(request);
        resolve({ ...answer, ms: Date.now() - started });
      };
      const request = https.request(
        url,
        {
          method: 'POST',
          agent: this.agent,
          headers: { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => {
            // An answer is a token or nothing: read no more than 64 KiB of it.
            if (chunks.reduce((n, b) => n + b.length, 0) < 65_536) chunks.push(c);
          });
          res.on('end', () =>
            finish({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
              contentType: String(res.headers['content-type'] ?? ''),
              timedOut: false,
            }),
          );
          res.on('error', () => finish({ status: 0, body: '', contentType: '', timedOut: false }));
        },
      );
      const timer = setTimeout(() => {
        finish({ status: 0, body: '', contentType: '', timedOut: true });
        request.destroy();
      }, timeoutMs);
      this.requests.add(request);
      request.on('error', () => finish({ status: 0, body: '', contentType: '', timedOut: false }));
      request.end(body);
    });
  }
}

/** Notifications for the same URL path share the slow-response count. */
function endpointKey(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

function statusName(status: number): string {
  const names: Record<number, string> = {
    400: 'BadRequest',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'NotFound',
    405: 'MethodNotAllowed',
    500: 'InternalServerError',
    502: 'BadGateway',
    503: 'ServiceUnavailable',
  };
  return names[status] ?? String(status);
}
