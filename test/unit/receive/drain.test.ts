import { strict as assert } from 'node:assert';
import type { Simulator } from '../../simulator';
import { engine, freshSimulator, MAILBOX } from './harness';

describe('receive: draining with an acknowledgement', () => {
  let sim: Simulator;
  freshSimulator((s) => (sim = s));

  it('delivers unread mail oldest first and marks each read after delivery', async () => {
    sim.seedMessages(MAILBOX, 'inbox', 5, (i) => ({ subject: `mail ${i}` }));
    const readAtDelivery: boolean[] = [];
    const e = engine(
      sim,
      {},
      { deliver: (mail) => readAtDelivery.push(sim.getMessage(MAILBOX, mail.o365.id)?.isRead === true) },
    );
    const summary = await e.receiver.pollOnce();
    e.close();
    assert.equal(summary.delivered, 5);
    assert.deepEqual(
      e.delivered.map((m) => m.topic),
      ['mail 0', 'mail 1', 'mail 2', 'mail 3', 'mail 4'],
    );
    assert.deepEqual(readAtDelivery, [false, false, false, false, false], 'still unread when sent on');
    assert.ok(sim.messages(MAILBOX, 'inbox').every((m) => m.isRead));
  });

  it('drains 1,200 mails received in the same instant, none missing or repeated', async () => {
    const at = '2026-02-02T02:02:02Z';
    sim.seedMessages(MAILBOX, 'inbox', 1200, (i) => ({ subject: `same ${i}`, receivedDateTime: at }));
    const e = engine(sim, { maxMessages: 0, attachments: false });
    await e.receiver.pollOnce();
    await e.receiver.pollOnce();
    e.close();
    const topics = e.delivered.map((m) => m.topic);
    assert.equal(topics.length, 1200);
    assert.equal(new Set(topics).size, 1200);
  });

  it('asks each next page from the last instant of the one before while acknowledging', async () => {
    sim.seedMessages(MAILBOX, 'inbox', 600, (i) => ({ subject: `m${i}` }));
    const e = engine(sim, { maxMessages: 0 });
    await e.receiver.pollOnce();
    e.close();
    assert.equal(new Set(e.delivered.map((m) => m.topic)).size, 600);
    const lists = sim.requests.filter((r) => r.operation === 'listMessages');
    assert.equal(lists.length, 3, '250 + 250 + 100');
    assert.match(
      lists[0].query.$filter,
      /^receivedDateTime ge 1900-01-01T00:00:00Z and \(isRead eq false\)$/,
    );
    assert.match(lists[1].query.$filter, /^receivedDateTime ge 20\d\d-/);
    assert.ok(lists.every((r) => r.query.$orderby === 'receivedDateTime asc' && r.query.$skip === undefined));
  });

  it('drains a $search across pages, asking again from the start after each page', async () => {
    sim.seedMessages(MAILBOX, 'inbox', 300, (i) => ({ subject: `invoice ${i}` }));
    sim.seedMessages(MAILBOX, 'inbox', 5, (i) => ({ subject: `hello ${i}` }));
    const e = engine(sim, { maxMessages: 0, search: 'subject:invoice', filter: 'isRead eq false' });
    await e.receiver.pollOnce();
    e.close();
    const topics = e.delivered.map((m) => m.topic);
    assert.equal(topics.length, 300);
    assert.equal(new Set(topics).size, 300);
  });

  it("lists in Graph's order, with a warning, when Graph refuses to sort the filter", async () => {
    sim.seedMessages(MAILBOX, 'inbox', 3);
    sim.failNext(1, 400, { code: 'InefficientFilter', match: { operation: 'listMessages' } });
    const e = engine(sim);
    await e.receiver.pollOnce();
    e.close();
    assert.equal(e.delivered.length, 3);
    assert.deepEqual(
      e.notices.map((n) => n.key),
      ['unsorted'],
    );
    const last = sim.requests.filter((r) => r.operation === 'listMessages').pop();
    assert.equal(last?.query.$filter, 'isRead eq false');
  });

  it('stops at once when the poll is aborted, acknowledging only what was delivered', async () => {
    sim.seedMessages(MAILBOX, 'inbox', 50);
    const controller = new AbortController();
    const e = engine(sim, {}, { deliver: () => e.delivered.length === 9 && controller.abort() });
    await assert.rejects(e.receiver.pollOnce(controller.signal));
    e.close();
    const read = sim.messages(MAILBOX, 'inbox').filter((m) => m.isRead).length;
    assert.ok(read <= e.delivered.length, `${read} read, ${e.delivered.length} delivered`);
  });
});
