/**
 * Push scenarios (issue #14): how long a mail takes from landing in the folder to its message, with change
 * notifications (src/push: channel, coalescer, endpoint) waking the receive engine, next to polling every 60 s; and
 * what an idle hour costs in Graph operations. The engines are driven directly, without Node-RED; the notification
 * endpoint is served over HTTPS with the simulator's certificate, as a reverse proxy would serve Node-RED's.
 */
import * as https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Connection } from '../src/graph/connection';
import { messagesResource, SubscriptionApi } from '../src/graph/subscriptions';
import { Receiver } from '../src/receive';
import { memoryCursorStore } from '../src/receive/cursor';
import { readReceiveOptions } from '../src/receive/options';
import { PushChannel, PushState } from '../src/push/channel';
import { WakeCoalescer } from '../src/push/coalesce';
import { PushEndpoints } from '../src/push/endpoint';
import { Poller } from '../src/schedule';
import { serverCertificate } from '../test/simulator/certs';
import { mailboxOperations, type SimCounters, type SimProcess } from './sim-control';

/** What one latency run measured. */
export interface LatencyRun {
  /** Arrival to message, one per mail, in ms. */
  latencies: number[];
  polls: number;
  notifications: number;
  counters: SimCounters;
}

/** Milliseconds at the given percentile (nearest rank). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** A node's push machinery on one mailbox: receiver, poller, coalescer, channel and an HTTPS endpoint. */
class PushRig {
  readonly delivered = new Map<string, number>();
  polls = 0;
  private readonly endpoints = new PushEndpoints();
  private server?: https.Server;
  private channel?: PushChannel;
  private coalescer?: WakeCoalescer;
  private poller?: Poller;

  constructor(
    private readonly connection: Connection,
    private readonly mailbox: string,
    private readonly safetyNetSeconds: number,
  ) {}

  /** Starts everything and resolves once the subscription is active. */
  async start(): Promise<void> {
    const api = this.connection.mailbox(this.mailbox);
    await api.probe();
    const receiver = new Receiver(
      api,
      readReceiveOptions({ username: this.mailbox, action: 'read', maxMessages: 0 }),
      memoryCursorStore(),
      {
        deliver: (mail) => {
          this.delivered.set(mail.o365.id, Date.now());
        },
        mailFailed: () => undefined,
        warn: () => undefined,
      },
    );
    const poller = new Poller(
      { type: 'interval', seconds: this.safetyNetSeconds },
      async (signal) => {
        this.polls++;
        await receiver.pollOnce(signal);
      },
      { pollOnStart: false, onError: () => undefined },
    );
    this.poller = poller;
    poller.start();
    const url = await this.listen();
    const coalescer = new WakeCoalescer(() => poller.trigger());
    this.coalescer = coalescer;
    let activated: (state: PushState) => void = () => undefined;
    const active = new Promise<PushState>((resolve) => (activated = resolve));
    const channel = new PushChannel({
      api: new SubscriptionApi(this.connection.client()),
      notificationUrl: url,
      resource: async (signal) => messagesResource(this.mailbox, await api.resolveFolder('inbox', signal)),
      wake: () => coalescer.wake(),
      onState: (state) => {
        if (state.kind === 'active' || state.kind === 'fallback') activated(state);
      },
      warn: () => undefined,
      memory: { load: async () => [], save: async () => undefined },
    });
    this.channel = channel;
    this.endpoints.register('bench', channel);
    channel.start();
    const state = await active;
    if (state.kind !== 'active')
      throw new Error(`no subscription: ${state.kind === 'fallback' && state.detail}`);
  }

  get notifications(): number {
    return this.channel?.stats.notifications ?? 0;
  }

  async stop(): Promise<void> {
    this.coalescer?.stop();
    await this.channel?.stop();
    await this.poller?.stop();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private async listen(): Promise<string> {
    const { cert, key } = await serverCertificate();
    const server = https.createServer({ cert, key }, (req, res) => void this.answer(req, res));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const { port } = server.address() as { port: number };
    return `https://127.0.0.1:${port}/o365-mail-in/notify/bench`;
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'https://bench');
    const answer = this.endpoints.answer(url.pathname.split('/').pop() ?? '', {
      method: req.method ?? '',
      query: Object.fromEntries(url.searchParams),
      contentType: String(req.headers['content-type'] ?? ''),
      body: Buffer.concat(chunks),
    });
    res.writeHead(answer.status, answer.headers).end(answer.body);
  }
}

/**
 * Mails land one at a time, `spacingMs` apart (further apart than the coalescer's second, so each is a mail on its
 * own, as most mail is); each one's time from landing to its message is measured.
 */
export async function pushLatency(
  sim: SimProcess,
  connection: Connection,
  mailbox: string,
  options: { delayMs: number; mails: number; spacingMs: number },
): Promise<LatencyRun> {
  await sim.ask({ cmd: 'setNotifications', behaviour: { delayMs: options.delayMs } });
  const rig = new PushRig(connection, mailbox, 900);
  await rig.start();
  await sim.ask({ cmd: 'resetCounters' });
  const arrivals: { id: string; at: number }[] = [];
  try {
    for (let i = 0; i < options.mails; i++) {
      arrivals.push((await sim.ask({ cmd: 'arrive', mailbox })) as { id: string; at: number });
      await sleep(options.spacingMs);
    }
    await waitUntil(() => arrivals.every((a) => rig.delivered.has(a.id)), options.delayMs + 30_000);
  } finally {
    await rig.stop();
    await sim.ask({ cmd: 'setNotifications', behaviour: { delayMs: 0 } });
  }
  return {
    latencies: arrivals.map((a) => (rig.delivered.get(a.id) ?? Number.NaN) - a.at),
    polls: rig.polls,
    notifications: rig.notifications,
    counters: await sim.counters(),
  };
}

/**
 * Polling every `intervalS`: a mail waits for the next poll, then the poll's own time. The wait is worked out from the
 * schedule (a mail lands at a uniformly random moment of the interval); the poll's time is measured, over `samples`
 * polls that each find one new mail. Compressing 60 s of waiting per sample into a real run would measure only the
 * timer.
 */
export async function pollingLatency(
  sim: SimProcess,
  connection: Connection,
  mailbox: string,
  options: { intervalS: number; samples: number },
): Promise<{ latencies: number[]; pollMs: number[]; opsPerMailPoll: number; opsPerEmptyPoll: number }> {
  const api = connection.mailbox(mailbox);
  await api.probe();
  let deliveredAt = 0;
  const receiver = new Receiver(
    api,
    readReceiveOptions({ username: mailbox, action: 'read', maxMessages: 0 }),
    memoryCursorStore(),
    {
      deliver: () => {
        deliveredAt = Date.now();
      },
      mailFailed: () => undefined,
      warn: () => undefined,
    },
  );
  await receiver.pollOnce(); // folder resolved once, as a running node has it
  const pollMs: number[] = [];
  await sim.ask({ cmd: 'resetCounters' });
  for (let i = 0; i < options.samples; i++) {
    await sim.ask({ cmd: 'arrive', mailbox });
    const started = Date.now();
    await receiver.pollOnce();
    pollMs.push(deliveredAt - started);
  }
  const opsPerMailPoll = mailboxOperations(await sim.counters()) / options.samples;
  await sim.ask({ cmd: 'resetCounters' });
  for (let i = 0; i < options.samples; i++) await receiver.pollOnce();
  const opsPerEmptyPoll = mailboxOperations(await sim.counters()) / options.samples;
  // Sample the moment of landing evenly over the interval: waiting until the next poll, then the poll's time.
  const latencies = pollMs.map((ms, i) => (1 - (i + 0.5) / options.samples) * options.intervalS * 1000 + ms);
  return { latencies, pollMs, opsPerMailPoll, opsPerEmptyPoll };
}

/** Operations of an idle push node over `windowMs`, with the safety net and the lifetime compressed to fit. */
export async function idlePush(
  sim: SimProcess,
  connection: Connection,
  mailbox: string,
  options: { windowMs: number; safetyNetSeconds: number; lifetimeMs: number },
): Promise<{ counters: SimCounters; polls: number }> {
  await sim.ask({ cmd: 'setSubscriptionLimits', limits: { grantedLifetimeMs: options.lifetimeMs } });
  const rig = new PushRig(connection, mailbox, options.safetyNetSeconds);
  try {
    await rig.start();
    await sim.ask({ cmd: 'resetCounters' });
    const polls = rig.polls;
    await sleep(options.windowMs);
    return { counters: await sim.counters(), polls: rig.polls - polls };
  } finally {
    await rig.stop();
    await sim.ask({ cmd: 'setSubscriptionLimits', limits: { grantedLifetimeMs: null } });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitUntil(done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`not every mail arrived within ${timeoutMs} ms`);
    await sleep(5);
  }
}
