import { strict as assert } from 'node:assert';
import type { Simulator } from '../../simulator';
import { graphClient, msgPath } from '../../simulator/test-helpers';
import { engine, freshSimulator, MAILBOX, simConnection } from './harness';

describe('receive: claims', () => {
  let sim: Simulator;
  freshSimulator((s) => (sim = s));

  it('creates the claim folder under the polled folder once and acknowledges from it', async () => {
    sim.seedMessages(MAILBOX, 'inbox', 3);
    const e = engine(sim, { action: 'delete', claim: true });
    await e.receiver.pollOnce();
    sim.seedMessages(MAILBOX, 'inbox', 1);
    await e.receiver.pollOnce();
    e.close();
    assert.equal(e.delivered.length, 4);
    assert.equal(sim.counters.byOperation.createFolder, 1);
    assert.equal(sim.messages(MAILBOX, 'Inbox/o365-claim').length, 0);
    assert.equal(sim.messages(MAILBOX, 'inbox').length, 0);
    assert.equal(e.receiver.counters.claimsWon, 4);
  });

  it('uses a claim folder given as a path, creating its last segment', async () => {
    sim.addFolder(MAILBOX, 'msgfolderroot', 'Work');
    sim.seedMessages(MAILBOX, 'inbox', 2);
    sim.addFolder(MAILBOX, 'inbox', 'Done');
    const e = engine(sim, { action: 'move', moveTo: 'Inbox/Done', claim: true, claimFolder: 'Work/Claims' });
    await e.receiver.pollOnce();
    e.close();
    assert.equal(e.delivered.length, 2);
    assert.equal(sim.messages(MAILBOX, 'Work/Claims').length, 0);
    assert.equal(sim.messages(MAILBOX, 'Inbox/Done').length, 2);
  });

  it('reads an attached mail after the claim gave the message a new id', async () => {
    sim.addMessage(MAILBOX, 'inbox', {
      attachments: [{ kind: 'item', name: 'fwd', message: { subject: 'inner', body: 'x' } }],
    });
    const e = engine(sim, { action: 'delete', claim: true });
    await e.receiver.pollOnce();
    e.close();
    const [attachment] = e.delivered[0].attachments;
    assert.match(String(attachment.content), /Subject: inner/);
    assert.equal(e.delivered[0].o365.warnings, undefined);
  });

  it('skips a mail another consumer claimed first', async () => {
    sim.seedMessages(MAILBOX, 'inbox', 2);
    const e = engine(sim, { action: 'delete', claim: true });
    // The other consumer wins the race for every move this poll makes.
    sim.failNext(2, 404, { code: 'ErrorItemNotFound', match: { operation: 'moveMessage' } });
    const summary = await e.receiver.pollOnce();
    e.close();
    assert.equal(summary.delivered, 0);
    assert.equal(summary.claimsLost, 2);
  });

  it('puts back a claim whose consumer died before acknowledging it, after the claim timeout', async () => {
    sim.seedMessages(MAILBOX, 'inbox', 1, () => ({ subject: 'orphan' }));
    // The first consumer claims the mail, then dies in delivery (no acknowledgement).
    const dying = engine(
      sim,
      { action: 'delete', claim: true },
      {
        deliver: () => {
          throw new Error('process died');
        },
      },
    );
    await dying.receiver.pollOnce();
    dying.close();
    assert.equal(sim.messages(MAILBOX, 'Inbox/o365-claim').length, 1);
    const patient = engine(sim, { action: 'delete', claim: true });
    await patient.receiver.pollOnce();
    assert.equal(patient.delivered.length, 0, 'a fresh claim is left alone');
    patient.close();
    // Claim times are Graph's clock (its Date header, whole seconds): let one tick pass.
    await new Promise((r) => setTimeout(r, 1100));
    const rescuer = engine(sim, { action: 'delete', claim: true, claimTimeoutMs: 10 });
    await rescuer.receiver.pollOnce();
    await rescuer.receiver.pollOnce();
    rescuer.close();
    assert.deepEqual(
      rescuer.delivered.map((m) => m.topic),
      ['orphan'],
    );
    assert.equal(sim.messages(MAILBOX, 'Inbox/o365-claim').length, 0);
  });

  it("keeps a mail's own categories: the claim mark goes when the mail is acknowledged", async () => {
    const id = sim.addMessage(MAILBOX, 'inbox', { subject: 'tagged' });
    const graph = await graphClient(sim);
    await graph.patch(msgPath(id), { categories: ['Red category'] });
    sim.addFolder(MAILBOX, 'inbox', 'Done');
    for (const action of ['read', 'move'] as const) {
      const e = engine(sim, { action, moveTo: 'Inbox/Done', claim: true, filter: '' });
      await e.receiver.pollOnce();
      e.close();
      assert.equal(e.delivered.length, 1, action);
    }
    const [done] = sim.messages(MAILBOX, 'Inbox/Done');
    assert.deepEqual(done.categories, ['Red category']);
    assert.equal(done.isRead, true);
  });

  it('releases a claim by the time in its mark, not by lastModifiedDateTime', async () => {
    // A claim left behind an hour ago whose lastModifiedDateTime is fresh (someone flagged it since).
    const claimFolder = sim.addFolder(MAILBOX, 'inbox', 'o365-claim');
    const id = sim.addMessage(MAILBOX, claimFolder, { subject: 'left behind' });
    const hourAgo = new Date(Date.now() - 3600_000).toISOString();
    await (await graphClient(sim)).patch(msgPath(id), { categories: ['Blue', `o365-claim ${hourAgo}`] });
    const e = engine(sim, { action: 'delete', claim: true });
    await e.receiver.pollOnce();
    await e.receiver.pollOnce();
    e.close();
    assert.deepEqual(
      e.delivered.map((m) => m.topic),
      ['left behind'],
    );
    assert.equal(e.receiver.counters.released, 1);
  });

  for (const keeps of [true, false]) {
    it(`two consumers moving the same mails in the same millisecond deliver each once (a move ${keeps ? 'keeps' : 'stamps'} lastModifiedDateTime)`, async () => {
      sim.setMoveKeepsLastModified(keeps);
      const hourAgo = new Date(Date.now() - 3600_000).toISOString();
      const a = engine(sim, { action: 'read', claim: true, maxMessages: 0 });
      // b runs as in another Node-RED: it does not wait for a's requests (one limiter of 4 per mailbox and runtime).
      const other = simConnection(sim, { runtime: 'second Node-RED' });
      const b = engine(sim, { action: 'read', claim: true, maxMessages: 0 }, { connection: other });
      // Both find their folders first, so that both list the same mails and claim them at the same time.
      await Promise.all([a.receiver.pollOnce(), b.receiver.pollOnce()]);
      sim.seedMessages(MAILBOX, 'inbox', 30, (i) => ({
        subject: `mail ${i}`,
        lastModifiedDateTime: hourAgo,
      }));
      // Every move waits a little before it runs: both consumers mark the same mails, then move them together.
      sim.slowNext(60, 100, { match: { operation: 'moveMessage' } });
      for (let round = 0; round < 3; round++)
        await Promise.all([a.receiver.pollOnce(), b.receiver.pollOnce()]);
      sim.clearFaults();
      const moves = sim.requests.filter((r) => r.operation === 'moveMessage');
      a.close();
      b.close();
      const all = [...a.delivered, ...b.delivered].map((m) => m.topic);
      assert.equal(all.length, 30);
      assert.equal(new Set(all).size, 30, 'none twice');
      assert.equal(a.receiver.counters.released + b.receiver.counters.released, 0, 'no fresh claim released');
      assert.ok(
        a.receiver.counters.claimsLost + b.receiver.counters.claimsLost > 0,
        'the two consumers really raced for the same mails',
      );
      assert.ok(
        moves.some((r) => r.status === 404),
        'both marked a mail and moved it at the same time: the later move found it gone',
      );
      assert.ok(sim.messages(MAILBOX, 'inbox').every((m) => m.isRead && m.categories.length === 0));
    });
  }
});
