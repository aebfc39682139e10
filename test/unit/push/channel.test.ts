/** The subscription lifecycle of one node, on a fake Graph and a fake clock. */
import { strict as assert } from 'node:assert';
import { graphError } from '../../../src/graph/errors';
import { SignInRequiredError } from '../../../src/graph/sign-in-errors';
import type { GraphSubscription, NewSubscription } from '../../../src/graph/subscriptions';
import {
  PushChannel,
  PushChannelOptions,
  PushState,
  SubscriptionOperations,
  WakeReason,
} from '../../../src/push/channel';

const URL_OF_NODE = 'https://nodered.example/o365-mail-in/notify/n1';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Timers that run when the test advances the clock. */
class FakeClock {
  time = Date.parse('2026-05-04T10:00:00Z');
  private timers: { id: number; at: number; fn: () => void }[] = [];
  private nextId = 1;

  now = () => this.time;
  setTimer = (fn: () => void, ms: number) => {
    const id = this.nextId++;
    this.timers.push({ id, at: this.time + ms, fn });
    return id as unknown as ReturnType<typeof setTimeout>;
  };
  clearTimer = (timer: ReturnType<typeof setTimeout>) => {
    this.timers = this.timers.filter((t) => t.id !== (timer as unknown as number));
  };

  get pending(): number[] {
    return this.timers.map((t) => t.at - this.time);
  }

  /** Moves time on, running every timer due meanwhile (and what they start) to its end. */
  async advance(ms: number): Promise<void> {
    const until = this.time + ms;
    for (;;) {
      await settle();
      const due = this.timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = due.at;
      due.fn();
    }
    this.time = until;
    await settle();
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

const err = (status: number, code: string, message: string) =>
  graphError(status, { error: { code, message } }, {});

/** A Graph that keeps subscriptions and can be told to fail. */
class FakeGraph implements SubscriptionOperations {
  readonly subscriptions = new Map<string, GraphSubscription & { clientState: string }>();
  readonly calls: string[] = [];
  createFails: Error[] = [];
  renewFails: Error[] = [];
  reauthorizeFails: Error[] = [];
  /** Graph grants at most this lifetime (what it returns is what counts). */
  grantMs: number | null = null;
  createGate: Promise<void> | null = null;
  deleteHangs = false;
  listFails = false;
  private n = 0;

  constructor(private readonly clock: FakeClock) {}

  async create(s: NewSubscription): Promise<GraphSubscription> {
    this.calls.push(`create ${Date.parse(s.expirationDateTime) - this.clock.now()}`);
    if (this.createGate) await this.createGate;
    const failure = this.createFails.shift();
    if (failure) throw failure;
    const id = `sub-${++this.n}`;
    const stored = { id, ...s, expirationDateTime: this.granted(s.expirationDateTime) };
    this.subscriptions.set(id, stored);
    return { ...stored };
  }

  async renew(id: string, expirationDateTime: string): Promise<GraphSubscription> {
    this.calls.push(`renew ${id}`);
    const failure = this.renewFails.shift();
    if (failure) throw failure;
    const s = this.subscriptions.get(id);
    if (!s) throw err(404, 'ResourceNotFound', 'gone');
    s.expirationDateTime = this.granted(expirationDateTime);
    return { ...s, clientState: null };
  }

  async reauthorize(id: string): Promise<void> {
    this.calls.push(`reauthorize ${id}`);
    const failure = this.reauthorizeFails.shift();
    if (failure) throw failure;
    if (!this.subscriptions.has(id)) throw err(404, 'ResourceNotFound', 'gone');
  }

  async delete(id: string): Promise<void> {
    this.calls.push(`delete ${id}`);
    if (this.deleteHangs) await new Promise(() => undefined);
    this.subscriptions.delete(id);
  }

  async list(): Promise<GraphSubscription[]> {
    this.calls.push('list');
    if (this.listFails) throw err(503, 'ServiceUnavailable', 'down');
    return [...this.subscriptions.values()].map((s) => ({ ...s, clientState: null }));
  }

  private granted(asked: string): string {
    const at = Date.parse(asked);
    return new Date(this.grantMs === null ? at : Math.min(at, this.clock.now() + this.grantMs)).toISOString();
  }
}

describe('push channel (subscription lifecycle)', () => {
  let clock: FakeClock;
  let graph: FakeGraph;
  let wakes: WakeReason[];
  let states: PushState[];
  let warnings: string[];
  let remembered: string[];
  let channel: PushChannel;

  function makeChannel(options: Partial<PushChannelOptions> = {}): PushChannel {
    return new PushChannel({
      api: graph,
      notificationUrl: URL_OF_NODE,
      resource: async () => 'users/user@contoso.example/mailFolders/INBOXID/messages',
      wake: (reason) => wakes.push(reason),
      onState: (state) => states.push(state),
      warn: (notice) => warnings.push(notice.key),
      memory: {
        load: async () => [...remembered],
        save: async (ids) => {
          remembered = [...ids];
        },
      },
      now: clock.now,
      setTimer: clock.setTimer,
      clearTimer: clock.clearTimer,
      stopTimeoutMs: 200,
      ...options,
    });
  }

  const last = () => states[states.length - 1];
  const clientStateOf = (id: string) => graph.subscriptions.get(id)?.clientState ?? '';

  beforeEach(() => {
    clock = new FakeClock();
    graph = new FakeGraph(clock);
    wakes = [];
    states = [];
    warnings = [];
    remembered = [];
    channel = makeChannel();
  });

  afterEach(async () => {
    await channel.stop();
  });

  describe('subscribing', () => {
    it('subscribes to created messages at its own URL, for lifecycle notifications too, with a random clientState', async () => {
      channel.start();
      await settle();
      const [s] = [...graph.subscriptions.values()];
      assert.equal(s.changeType, 'created');
      assert.equal(s.notificationUrl, URL_OF_NODE);
      assert.equal(s.lifecycleNotificationUrl, URL_OF_NODE);
      assert.equal(s.resource, 'users/user@contoso.example/mailFolders/INBOXID/messages');
      assert.match(s.clientState, /^[A-Za-z0-9_-]{43}$/, '32 random bytes');
      assert.equal(
        graph.calls[1],
        `create ${10_079 * MINUTE}`,
        'asks for the longest lifetime of message subscriptions',
      );
      assert.deepEqual(remembered, [s.id], 'remembers the id for a run after a crash');
      assert.equal(last().kind, 'active');
      const other = makeChannel();
      other.start();
      await settle();
      assert.notEqual(
        clientStateOf('sub-2'),
        s.clientState,
        'each subscription has a clientState of its own',
      );
      await other.stop();
    });

    it('first deletes what an earlier run left: same URL or a remembered id, nothing else', async () => {
      const mine = await graph.create({ ...newSub(clock), notificationUrl: URL_OF_NODE });
      const rememberedElsewhere = await graph.create({
        ...newSub(clock),
        notificationUrl: 'https://old.example/x',
      });
      const foreign = await graph.create({ ...newSub(clock), notificationUrl: 'https://other.example/y' });
      remembered = [rememberedElsewhere.id];
      channel.start();
      await settle();
      assert.ok(!graph.subscriptions.has(mine.id));
      assert.ok(!graph.subscriptions.has(rememberedElsewhere.id));
      assert.ok(graph.subscriptions.has(foreign.id));
      assert.equal(graph.subscriptions.size, 2);
    });

    it('also deletes the orphans its rule names, deciding for each just before deleting it', async () => {
      const gone = await graph.create({
        ...newSub(clock),
        notificationUrl: 'https://nodered.example/o365-mail-in/notify/gone',
      });
      const startedMeanwhile = await graph.create({
        ...newSub(clock),
        notificationUrl: 'https://nodered.example/o365-mail-in/notify/late',
      });
      const foreign = await graph.create({ ...newSub(clock), notificationUrl: 'https://other.example/y' });
      const asked: string[] = [];
      let lateListening = false;
      channel = makeChannel({
        orphaned: (s) => {
          asked.push(s.id);
          const orphan =
            s.notificationUrl.startsWith('https://nodered.example/') &&
            !(s.id === startedMeanwhile.id && lateListening);
          // The node at "late" starts listening while the first orphan is deleted.
          lateListening = true;
          return orphan;
        },
      });
      channel.start();
      await settle();
      assert.deepEqual(
        asked,
        [gone.id, startedMeanwhile.id, foreign.id],
        'asked one by one, not for its own',
      );
      assert.ok(!graph.subscriptions.has(gone.id), 'the orphan is deleted');
      assert.ok(graph.subscriptions.has(startedMeanwhile.id), 'a node that started meanwhile keeps its own');
      assert.ok(graph.subscriptions.has(foreign.id));
      assert.equal(last().kind, 'active');
    });

    it('still subscribes when the clean-up cannot list, with a warning', async () => {
      graph.listFails = true;
      channel.start();
      await settle();
      assert.deepEqual(warnings, ['cleanup-failed']);
      assert.equal(last().kind, 'active');
    });

    it('falls back, says why and tries again later when the subscription cannot be made', async () => {
      graph.createFails = [
        err(400, 'ValidationError', 'Subscription validation request timed out.'),
        err(
          403,
          'ExtensionError',
          'Operation: Create; Exception: [Status Code: Forbidden; Reason: Access denied]',
        ),
      ];
      channel.start();
      await settle();
      const first = last();
      assert.equal(first.kind, 'fallback');
      assert.equal(first.kind === 'fallback' && first.problem, 'validation-failed');
      assert.equal(first.kind === 'fallback' && first.retryAt?.getTime(), clock.now() + MINUTE);
      await clock.advance(MINUTE);
      const second = last();
      assert.equal(second.kind === 'fallback' && second.problem, 'forbidden');
      assert.equal(
        second.kind === 'fallback' && second.retryAt?.getTime(),
        clock.now() + 2 * MINUTE,
        'backs off',
      );
      await clock.advance(2 * MINUTE);
      assert.equal(last().kind, 'active');
    });

    it('says "sign in again" while a delegated account is signed out, and subscribes at once after a new sign-in', async () => {
      graph.createFails = [1, 2, 3, 4].map(() => new SignInRequiredError('revoked'));
      channel.start();
      await clock.advance(7 * MINUTE); // four failures: the next try is 8 minutes away
      const waiting = last();
      assert.equal(waiting.kind === 'fallback' && waiting.problem, 'sign-in-required');
      assert.equal(waiting.kind === 'fallback' && waiting.retryAt?.getTime(), clock.now() + 8 * MINUTE);
      channel.resume();
      await settle();
      assert.equal(last().kind, 'active');
      assert.equal(graph.subscriptions.size, 1);
      // Resuming an active channel renews it rather than making a second subscription.
      channel.resume();
      await settle();
      assert.equal(graph.subscriptions.size, 1);
      assert.equal(last().kind, 'active');
    });

    it('uses the former lifetime when Graph refuses the documented one', async () => {
      graph.createFails = [
        err(400, 'ExtensionError', 'Subscription expiration can only be 4230 minutes in the future.'),
      ];
      channel.start();
      await settle();
      assert.deepEqual(graph.calls.slice(1), [`create ${10_079 * MINUTE}`, `create ${4_229 * MINUTE}`]);
      assert.equal(last().kind, 'active');
    });
  });

  describe('notifications', () => {
    beforeEach(async () => {
      channel.start();
      await settle();
    });

    it('wakes the engine for an authentic notification and only counts the others', () => {
      const id = channel.subscriptionId as string;
      channel.receive([
        { subscriptionId: id, clientState: clientStateOf(id), changeType: 'created' },
        { subscriptionId: id, clientState: 'guessed', changeType: 'created' },
        { subscriptionId: 'someone-else', clientState: clientStateOf(id), changeType: 'created' },
        { subscriptionId: id, clientState: '', changeType: 'created' },
      ]);
      assert.deepEqual(wakes, ['notification']);
      assert.equal(channel.stats.notifications, 1);
      assert.equal(channel.stats.ignored, 3);
    });

    it('polls on missed', () => {
      const id = channel.subscriptionId as string;
      channel.receive([{ subscriptionId: id, clientState: clientStateOf(id), lifecycleEvent: 'missed' }]);
      assert.deepEqual(wakes, ['missed']);
    });

    it('ignores a subscriptionRemoved it cannot authenticate', async () => {
      const id = channel.subscriptionId as string;
      graph.subscriptions.delete(id);
      channel.receive([
        { subscriptionId: id, clientState: clientStateOf(id) || 'x', lifecycleEvent: 'subscriptionRemoved' },
      ]);
      await settle();
      assert.equal(
        wakes.length,
        0,
        'the clientState of a deleted subscription is unknown to an attacker too',
      );
    });

    it('subscribes again and polls on an authentic subscriptionRemoved', async () => {
      const id = channel.subscriptionId as string;
      const clientState = clientStateOf(id);
      graph.subscriptions.delete(id);
      channel.receive([{ subscriptionId: id, clientState, lifecycleEvent: 'subscriptionRemoved' }]);
      await settle();
      assert.deepEqual(wakes, ['resubscribed']);
      assert.notEqual(channel.subscriptionId, id);
      assert.equal(graph.subscriptions.size, 1);
    });

    it('reauthorizes on reauthorizationRequired, then polls for what the pause hid', async () => {
      const id = channel.subscriptionId as string;
      channel.receive([
        { subscriptionId: id, clientState: clientStateOf(id), lifecycleEvent: 'reauthorizationRequired' },
      ]);
      await settle();
      assert.ok(graph.calls.includes(`reauthorize ${id}`));
      assert.deepEqual(wakes, ['reauthorized']);
    });

    it('renews instead when reauthorizing fails', async () => {
      const id = channel.subscriptionId as string;
      graph.reauthorizeFails = [err(500, 'InternalServerError', 'boom')];
      channel.receive([
        { subscriptionId: id, clientState: clientStateOf(id), lifecycleEvent: 'reauthorizationRequired' },
      ]);
      await settle();
      assert.ok(graph.calls.includes(`renew ${id}`));
      assert.deepEqual(wakes, ['reauthorized']);
    });
  });

  it('accepts notifications that arrive before Graph answered the create', async () => {
    let open: () => void = () => undefined;
    graph.createGate = new Promise((r) => (open = r));
    channel = makeChannel({ secret: () => 'known-secret' });
    channel.start();
    await settle();
    channel.receive([
      { subscriptionId: 'not-yet-known', clientState: 'known-secret', changeType: 'created' },
    ]);
    channel.receive([{ subscriptionId: 'not-yet-known', clientState: 'other', changeType: 'created' }]);
    assert.deepEqual(wakes, ['notification']);
    open();
    await settle();
  });

  describe('renewal', () => {
    it('renews an hour before the expiration Graph returned, and again from what the renewal returned', async () => {
      channel.start();
      await settle();
      const id = channel.subscriptionId as string;
      assert.deepEqual(clock.pending, [10_079 * MINUTE - HOUR]);
      await clock.advance(10_079 * MINUTE - HOUR);
      assert.ok(graph.calls.includes(`renew ${id}`));
      assert.deepEqual(
        clock.pending,
        [10_079 * MINUTE - HOUR],
        'the next renewal counts from the new expiration',
      );
      assert.equal(channel.stats.renewed, 1);
    });

    it('renews a short lifetime at three quarters of it (Graph may grant less than asked)', async () => {
      graph.grantMs = 20 * MINUTE;
      channel.start();
      await settle();
      assert.deepEqual(clock.pending, [15 * MINUTE]);
    });

    it('subscribes again and polls when the subscription is gone at renewal', async () => {
      channel.start();
      await settle();
      graph.subscriptions.clear();
      await clock.advance(10_079 * MINUTE - HOUR);
      assert.deepEqual(wakes, ['resubscribed']);
      assert.equal(graph.subscriptions.size, 1);
    });

    it('retries a failed renewal, and subscribes again once the subscription expired', async () => {
      graph.grantMs = 40 * MINUTE;
      channel.start();
      await settle();
      graph.renewFails = Array.from({ length: 100 }, () => err(503, 'ServiceUnavailable', 'down'));
      await clock.advance(30 * MINUTE);
      assert.deepEqual(warnings, ['renew-failed']);
      await clock.advance(15 * MINUTE);
      assert.ok(
        graph.calls.filter((c) => c.startsWith('create')).length >= 2,
        'subscribed again after expiry',
      );
      assert.ok(wakes.includes('resubscribed'));
    });
  });

  describe('stopping', () => {
    it('deletes the subscription, forgets it and ends its timers', async () => {
      channel.start();
      await settle();
      const id = channel.subscriptionId as string;
      await channel.stop();
      assert.ok(graph.calls.includes(`delete ${id}`));
      assert.equal(graph.subscriptions.size, 0);
      assert.deepEqual(remembered, []);
      assert.deepEqual(clock.pending, []);
      assert.equal(last().kind, 'stopped');
    });

    it('ends in bounded time when Graph does not answer the delete', async () => {
      channel.start();
      await settle();
      graph.deleteHangs = true;
      const started = Date.now();
      await channel.stop();
      assert.ok(Date.now() - started < 1000);
      assert.equal(remembered.length, 1, 'still remembered, for the next clean-up');
    });

    it('lets a create in flight finish, then deletes what it made', async () => {
      let open: () => void = () => undefined;
      graph.createGate = new Promise((r) => (open = r));
      channel.start();
      await settle();
      const stopping = channel.stop();
      open();
      await stopping;
      assert.equal(graph.subscriptions.size, 0);
    });

    it('ignores notifications after stop', async () => {
      channel.start();
      await settle();
      const id = channel.subscriptionId as string;
      const clientState = clientStateOf(id);
      await channel.stop();
      channel.receive([{ subscriptionId: id, clientState, changeType: 'created' }]);
      assert.deepEqual(wakes, []);
    });
  });
});

function newSub(clock: FakeClock): NewSubscription {
  return {
    resource: 'users/x/messages',
    changeType: 'created',
    notificationUrl: URL_OF_NODE,
    lifecycleNotificationUrl: URL_OF_NODE,
    clientState: 'c',
    expirationDateTime: new Date(clock.now() + HOUR).toISOString(),
  };
}
