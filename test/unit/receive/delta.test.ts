import { strict as assert } from 'node:assert';
import { offersMessageDelta } from '../../../src/graph/account-rules';
import { memoryCursorStore } from '../../../src/receive/cursor';
import type { Simulator } from '../../simulator';
import { engine, freshSimulator, MAILBOX } from './harness';

describe('receive: action none through the delta query', () => {
  let sim: Simulator;
  freshSimulator((s) => (sim = s));

  const seed = (n: number, prefix = 'mail') =>
    sim.seedMessages(MAILBOX, 'inbox', n, (i) => ({ subject: `${prefix} ${i}` }));
  const topics = (mails: { topic: string }[]) => mails.map((m) => m.topic);

  it('resumes after a restart from the stored cursor, without repeating or skipping mail', async () => {
    seed(25);
    const store = memoryCursorStore();
    const first = engine(sim, { action: 'none', maxMessages: 10 }, { store });
    await first.receiver.pollOnce();
    first.close();
    assert.equal(first.delivered.length, 10);
    // A new process: a new receiver with nothing in memory, the same (persistent) store.
    const second = engine(sim, { action: 'none', maxMessages: 10 }, { store });
    for (let i = 0; i < 4; i++) await second.receiver.pollOnce();
    seed(3, 'later');
    await second.receiver.pollOnce();
    second.close();
    const all = [...topics(first.delivered), ...topics(second.delivered)];
    assert.equal(new Set(all).size, all.length, 'no repeats');
    assert.equal(all.length, 28, 'none skipped');
  });

  it('stops inside a delta page at maxMessages and continues there', async () => {
    seed(12);
    const e = engine(sim, { action: 'none', maxMessages: 5 });
    const summary = await e.receiver.pollOnce();
    assert.equal(summary.delivered, 5);
    assert.equal(summary.limited, true);
    await e.receiver.pollOnce();
    await e.receiver.pollOnce();
    await e.receiver.pollOnce();
    e.close();
    assert.equal(e.delivered.length, 12);
    assert.equal(new Set(topics(e.delivered)).size, 12);
  });

  it('resyncs after a stale token following a restart without repeating mail', async () => {
    seed(8);
    const store = memoryCursorStore();
    const first = engine(sim, { action: 'none', maxMessages: 0 }, { store });
    await first.receiver.pollOnce();
    first.close();
    sim.invalidateDeltaTokens();
    seed(2, 'new');
    const second = engine(sim, { action: 'none', maxMessages: 0 }, { store });
    await second.receiver.pollOnce();
    await second.receiver.pollOnce();
    second.close();
    assert.deepEqual(topics(second.delivered), ['new 0', 'new 1']);
  });

  it('applies the filter itself: read mail is not delivered', async () => {
    sim.addMessage(MAILBOX, 'inbox', { subject: 'read', isRead: true });
    sim.addMessage(MAILBOX, 'inbox', { subject: 'unread' });
    const e = engine(sim, { action: 'none' });
    await e.receiver.pollOnce();
    e.close();
    assert.equal(e.receiver.mode, 'delta');
    assert.deepEqual(topics(e.delivered), ['unread']);
  });

  it('tries a mail that failed to be read again at the next poll, not passing it by', async () => {
    const ids = seed(3);
    sim.failNext(1, 400, { match: { operation: 'getMime', pathIncludes: encodeURIComponent(ids[1]) } });
    const e = engine(sim, { action: 'none', output: 'mime' });
    await e.receiver.pollOnce();
    assert.equal(e.failures.length, 1);
    await e.receiver.pollOnce();
    e.close();
    assert.deepEqual(topics(e.delivered).sort(), ['mail 0', 'mail 1', 'mail 2']);
  });

  it('lists the folder for a filter delta cannot apply, delivering mails of one second once each', async () => {
    sim.addMessage(MAILBOX, 'inbox', { subject: 'a', receivedDateTime: '2026-01-01T10:00:00Z' });
    sim.addMessage(MAILBOX, 'inbox', { subject: 'b', receivedDateTime: '2026-01-01T10:00:00Z' });
    const e = engine(sim, { action: 'none', filter: 'isRead eq false or isRead eq true' });
    assert.equal(e.receiver.mode, 'listing');
    await e.receiver.pollOnce();
    // A third mail in the very same second is not skipped; the first two are not repeated.
    sim.addMessage(MAILBOX, 'inbox', { subject: 'c', receivedDateTime: '2026-01-01T10:00:00Z' });
    await e.receiver.pollOnce();
    // One delivered late with an older receivedDateTime is not skipped either.
    sim.addMessage(MAILBOX, 'inbox', { subject: 'late', receivedDateTime: '2025-12-31T10:00:00Z' });
    await e.receiver.pollOnce();
    await e.receiver.pollOnce();
    e.close();
    assert.deepEqual(topics(e.delivered).sort(), ['a', 'b', 'c', 'late']);
    assert.equal(sim.counters.byOperation.delta, 0);
  });

  it('lists instead of asking for delta in a cloud without message delta (China), and where Graph says it has none', async () => {
    assert.equal(offersMessageDelta('china'), false);
    assert.equal(offersMessageDelta('global'), true);
    seed(3);
    const china = engine(sim, { action: 'none' }, { environment: { messageDelta: false } });
    assert.equal(china.receiver.mode, 'listing');
    await china.receiver.pollOnce();
    china.close();
    assert.equal(china.delivered.length, 3);
    assert.equal(sim.counters.byOperation.delta, 0, 'no delta request');
    assert.deepEqual(china.warnings, [], 'nothing to warn about: it is known');

    sim.setMessageDelta(false);
    const store = memoryCursorStore();
    const custom = engine(sim, { action: 'none' }, { store });
    assert.equal(custom.receiver.mode, 'delta');
    await custom.receiver.pollOnce();
    assert.equal(custom.receiver.mode, 'listing');
    await custom.receiver.pollOnce();
    custom.close();
    assert.equal(custom.delivered.length, 3);
    assert.equal(custom.notices.filter((n) => n.key === 'no-delta').length, 1);
    const restarted = engine(sim, { action: 'none' }, { store });
    await restarted.receiver.pollOnce();
    restarted.close();
    assert.equal(restarted.receiver.mode, 'listing', 'remembered in the cursor');
    assert.equal(restarted.delivered.length + restarted.notices.length, 0);
    assert.equal(sim.counters.byOperation.delta, 1, 'asked once');
  });

  it('delivers a changed mail that only came as a partial item once, whole, fetched in one $batch', async () => {
    const early = seed(2);
    const e = engine(sim, { action: 'none', maxMessages: 0, filter: '' });
    await e.receiver.pollOnce();
    const later = seed(3, 'later');
    // Each mail changes before the next round (a rule marks it read): Graph may list it with three fields only.
    const graph = e.connection.mailbox(MAILBOX);
    await graph.acknowledge([...later, early[0]], 'read');
    sim.setQuirks({ deltaPartialItems: 1 });
    sim.resetCounters();
    await e.receiver.pollOnce();
    await e.receiver.pollOnce();
    e.close();
    assert.deepEqual(topics(e.delivered).sort(), ['later 0', 'later 1', 'later 2', 'mail 0', 'mail 1']);
    assert.ok(e.delivered.every((m) => m.from !== '' && !m.o365.warnings));
    assert.equal(sim.counters.byOperation.getMessage, 3, 'only the mails not delivered before are fetched');
    assert.equal(sim.counters.batchRequests, 1);
  });
});
