import { strict as assert } from 'node:assert';
import { startSimulator, type Simulator } from '../../simulator';
import { engine, MAILBOX } from './harness';

describe('receive: claims', () => {
  let sim: Simulator;
  beforeEach(async () => {
    sim = await startSimulator({ mailboxes: [MAILBOX] });
  });
  afterEach(async () => {
    assert.deepEqual(sim.schemaViolations, []);
    await sim.stop();
  });

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
    await new Promise((r) => setTimeout(r, 20));
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
});
