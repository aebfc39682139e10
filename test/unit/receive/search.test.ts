import { strict as assert } from 'node:assert';
import type { Simulator } from '../../simulator';
import { engine, MAILBOX, freshSimulator } from './harness';

/** `$search` takes no `$filter`, answers at most 1,000 results (newest sent first) and lags behind new mail. */
describe('receive: search', () => {
  let sim: Simulator;
  freshSimulator((s) => (sim = s));

  const topics = (mails: { topic: string }[]) => mails.map((m) => m.topic).sort();

  it('applies a filter the node can evaluate to the matches itself, for every action', async () => {
    sim.addMessage(MAILBOX, 'inbox', { subject: 'invoice plain' });
    sim.addMessage(MAILBOX, 'inbox', { subject: 'invoice urgent', importance: 'high' });
    for (const action of ['none', 'delete'] as const) {
      const e = engine(sim, { action, search: 'subject:invoice', filter: "importance eq 'high'" });
      await e.receiver.pollOnce();
      await e.receiver.pollOnce();
      e.close();
      assert.deepEqual(topics(e.delivered), ['invoice urgent'], action);
      assert.deepEqual(e.warnings, []);
    }
    assert.deepEqual(
      sim.messages(MAILBOX, 'inbox').map((m) => m.subject),
      ['invoice plain'],
      'only the match the filter takes was deleted',
    );
  });

  it('with action read delivers unread matches only, also with an empty filter', async () => {
    sim.addMessage(MAILBOX, 'inbox', { subject: 'invoice old', isRead: true });
    sim.addMessage(MAILBOX, 'inbox', { subject: 'invoice new' });
    const e = engine(sim, { action: 'read', search: 'subject:invoice', filter: '' });
    for (let i = 0; i < 3; i++) await e.receiver.pollOnce();
    e.close();
    assert.deepEqual(topics(e.delivered), ['invoice new']);
  });

  it('ignores a filter it cannot evaluate next to a search, and says so once', async () => {
    sim.addMessage(MAILBOX, 'inbox', { subject: 'invoice 1' });
    const e = engine(sim, {
      action: 'none',
      search: 'subject:invoice',
      filter: 'receivedDateTime ge 2020-01-01T00:00:00Z',
    });
    await e.receiver.pollOnce();
    await e.receiver.pollOnce();
    e.close();
    assert.deepEqual(topics(e.delivered), ['invoice 1']);
    assert.equal(e.notices.filter((n) => n.key === 'search-filter').length, 1);
    assert.match(e.warnings[0], /receivedDateTime ge 2020-01-01T00:00:00Z/);
  });

  it("warns once when a search reaches Graph's 1,000 results: older-sent matches cannot be found", async () => {
    sim.seedMessages(MAILBOX, 'inbox', 1003, (i) => ({ subject: `invoice ${i}` }));
    for (const action of ['none', 'read'] as const) {
      const e = engine(sim, { action, search: 'subject:invoice', maxMessages: 0 });
      await e.receiver.pollOnce();
      await e.receiver.pollOnce();
      e.close();
      assert.equal(e.notices.filter((n) => n.key === 'search-cap').length, 1, action);
      assert.match(e.warnings[0], /1000 results/);
      assert.equal(new Set(topics(e.delivered)).size, e.delivered.length, 'none twice');
    }
  });
});
