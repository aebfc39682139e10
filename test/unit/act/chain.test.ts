/**
 * Chained `$batch` requests of the mail-action engine against the simulator: the chain's shape, the one mailbox slot
 * a chained batch holds in the client's limiter, items the client asks again down a chain after a throttled one, and
 * the items after a failed one (424) that the engine asks again without repeating what ran.
 */
import { strict as assert } from 'node:assert';
import { MailActor, type ActionRequest } from '../../../src/act/actor';
import { ActionError } from '../../../src/act/errors';
import { batchSlots } from '../../../src/graph/client';
import { Connection } from '../../../src/graph/connection';
import { pathSegment } from '../../../src/graph/odata';
import { startSimulator, type Simulator } from '../../simulator';

const MAILBOX = 'chain@contoso.example';
const FAST = { retry: { baseDelayMs: 5, maxDelayMs: 50 } };

function markRead(id: string): ActionRequest {
  return {
    operation: 'markRead',
    mail: { id },
    categoryMode: 'add',
    read: { bodyFormat: 'text', attachments: false, output: 'message' },
  };
}

describe('batchSlots: the mailbox slots a $batch holds', () => {
  const item = (id: string, dependsOn?: string[]) => ({ id, dependsOn });
  it('counts a fully chained batch as 1, independent items as min(4, n)', () => {
    assert.equal(
      batchSlots(Array.from({ length: 20 }, (_, i) => item(String(i + 1), i ? [String(i)] : undefined))),
      1,
    );
    assert.equal(batchSlots(Array.from({ length: 20 }, (_, i) => item(String(i + 1)))), 4);
    assert.equal(batchSlots([item('1'), item('2')]), 2);
    assert.equal(batchSlots([item('1')]), 1);
  });
  it('counts the chains of other shapes: pairs, and two items after one', () => {
    assert.equal(batchSlots([item('p0'), item('m0', ['p0']), item('p1'), item('m1', ['p1'])]), 2);
    assert.equal(batchSlots([item('a'), item('b', ['a']), item('c', ['a'])]), 2);
    assert.equal(
      batchSlots([item('2', ['1']), item('3', ['2'])]),
      1,
      'a dependency answered before counts as done',
    );
  });
});

describe('chained $batch requests against the simulator', function () {
  this.timeout(30_000);
  let sim: Simulator;
  let connection: Connection;

  before(async () => {
    sim = await startSimulator({ mailboxes: [MAILBOX] });
  });
  after(() => sim.stop());
  beforeEach(() => {
    connection = new Connection(
      {
        tenantId: sim.tenantId,
        applicationId: sim.app.clientId,
        cloud: 'custom',
        authorityHost: sim.url,
        graphEndpoint: sim.url,
        clientSecret: 'sim-secret-value',
      },
      FAST,
    );
  });
  afterEach(() => {
    connection.close();
    assert.deepEqual(sim.schemaViolations, []);
    sim.clearFaults();
    sim.setLatency(0);
    sim.resetCounters();
  });

  it('sends each item dependsOn the one before, and holds one slot: 4 chains run side by side, none throttled', async () => {
    const api = connection.mailbox(MAILBOX);
    await api.probe();
    const ids = sim.seedMessages(MAILBOX, 'inbox', 40);
    const chain = (part: string[]) =>
      api.perform(
        part.map((id) => ({ messageId: id, method: 'PATCH' as const, body: { isRead: true } })),
        undefined,
        { chain: true },
      );
    sim.resetCounters();
    sim.setLatency(10);
    assert.ok((await chain(ids.slice(0, 5))).every((r) => r.ok));
    assert.equal(sim.counters.maxInFlightByMailbox[MAILBOX], 1, 'one chain: its items in turn');
    sim.resetCounters();
    const started = Date.now();
    const results = await Promise.all([0, 1, 2, 3].map((k) => chain(ids.slice(k * 10, k * 10 + 10))));
    const wall = Date.now() - started;
    assert.ok(results.flat().every((r) => r.ok));
    assert.equal(sim.counters.batchRequests, 4);
    assert.equal(sim.counters.throttled, 0);
    assert.equal(sim.counters.maxInFlightByMailbox[MAILBOX], 4, 'the 4 chains ran at once, one item each');
    assert.ok(
      wall < 3 * 10 * 10,
      `side by side, not one after another (${wall} ms for 4 chains of 10 x 10 ms)`,
    );
  });

  it('asks a throttled item again with the items after it (424), without the ones that ran', async () => {
    const api = connection.mailbox(MAILBOX);
    const ids = sim.seedMessages(MAILBOX, 'inbox', 6);
    sim.throttleNext(1, { retryAfter: 0, match: { pathIncludes: pathSegment(ids[2]), inBatch: true } });
    const results = await api.perform(
      ids.map((id) => ({ messageId: id, method: 'PATCH' as const, body: { isRead: true } })),
      undefined,
      { chain: true },
    );
    assert.ok(results.every((r) => r.ok));
    assert.equal(sim.counters.batchRequests, 2, 'the chain, then its throttled rest');
    const patched = (id: string) =>
      sim.requests.filter(
        (r) => r.operation === 'patchMessage' && r.status === 200 && r.rawPath.includes(pathSegment(id)),
      );
    for (const id of ids) assert.equal(patched(id).length, 1, 'each mail marked once');
    assert.ok(ids.every((id) => sim.getMessage(MAILBOX, id)?.isRead));
  });

  it('marks a burst read in chains; a missing mail fails alone, the mails after it go again once', async () => {
    const ids = sim.seedMessages(MAILBOX, 'inbox', 80);
    const missing = ids[5];
    sim.deleteMessage(MAILBOX, missing);
    sim.resetCounters();
    const actor = new MailActor(connection.mailbox(MAILBOX));
    try {
      const outcomes = await Promise.allSettled(ids.map((id) => actor.act(markRead(id))));
      const failed = outcomes.flatMap((o, i) =>
        o.status === 'rejected' ? [{ i, err: o.reason as ActionError }] : [],
      );
      assert.deepEqual(
        failed.map((f) => [f.i, f.err.code]),
        [[5, 'MailNotFound']],
      );
      assert.ok(ids.every((id) => id === missing || sim.getMessage(MAILBOX, id)?.isRead));
      const patches = sim.requests.filter((r) => r.operation === 'patchMessage');
      assert.equal(patches.length, 80, 'every mail asked once, none repeated (424 items never ran)');
      assert.equal(new Set(patches.map((r) => r.rawPath)).size, 80);
      assert.equal(
        sim.counters.batchRequests,
        5,
        '4 chains of 20, and one for the 14 after the missing mail',
      );
      assert.equal(sim.counters.throttled, 0);
    } finally {
      await actor.close();
    }
  });
});
