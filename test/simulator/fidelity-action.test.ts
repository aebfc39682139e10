/**
 * Graph's rules for acting on existing mail as the simulator models them (README "Fidelity", rows marked `fa`):
 * copy, the followupFlag shapes, categories, and finding a moved mail by its internetMessageId.
 */
import * as assert from 'node:assert/strict';
import type { AxiosInstance } from 'axios';
import { type Simulator } from './index';
import { errorCode, msgPath, U, USER, simulatorPerTest } from './test-helpers';

interface WireMessage {
  id: string;
  parentFolderId: string;
  internetMessageId: string;
  conversationId: string;
  isRead: boolean;
  categories: string[];
  flag: Record<string, unknown>;
}

describe('simulator fidelity: acting on mail', function () {
  this.timeout(20_000);
  let sim: Simulator;
  let graph: AxiosInstance;

  simulatorPerTest({ mailboxes: [USER] }, (started, client) => {
    sim = started;
    graph = client;
  });

  it('copies a mail with 201: a new id in the destination, the same internetMessageId, the original left in place', async () => {
    const id = sim.addMessage(USER, 'inbox', { subject: 'Order 7', isRead: true });
    const archive = sim.folderId(USER, 'archive');
    const res = await graph.post(msgPath(id, '/copy'), { destinationId: 'archive' });
    assert.equal(res.status, 201);
    const copy = res.data as WireMessage;
    const original = sim.getMessage(USER, id);
    assert.ok(original, 'the original stays');
    assert.notEqual(copy.id, id);
    assert.equal(copy.parentFolderId, archive);
    assert.equal(copy.internetMessageId, original.internetMessageId);
    assert.equal(copy.conversationId, original.conversationId);
    assert.equal(copy.isRead, true);
    assert.equal(sim.messages(USER, 'archive').length, 1);
    assert.equal(sim.messages(USER, 'inbox').length, 1);
    assert.deepEqual(sim.schemaViolations, []);
  });

  it('answers a copy without destinationId with 400 ErrorInvalidParameter and an unknown folder with 404', async () => {
    const id = sim.addMessage(USER, 'inbox');
    const missing = await graph.post(msgPath(id, '/copy'), {});
    assert.equal(missing.status, 400);
    assert.equal(errorCode(missing), 'ErrorInvalidParameter');
    const unknown = await graph.post(msgPath(id, '/copy'), {
      destinationId: 'AAMkAGFnotAfolderButLooksLikeOneAAA=',
    });
    assert.equal(unknown.status, 404);
    assert.equal(sim.messages(USER).length, 1);
  });

  it('keeps the followupFlag dates a client sends, in Graph spelling; notFlagged drops them', async () => {
    const id = sim.addMessage(USER, 'inbox');
    const due = { dateTime: '2026-09-01T17:00:00', timeZone: 'UTC' };
    const flagged = await graph.patch(msgPath(id), {
      flag: {
        flagStatus: 'Flagged',
        startDateTime: { dateTime: '2026-08-30T12:00:00', timeZone: 'UTC' },
        dueDateTime: due,
      },
    });
    assert.equal(flagged.status, 200);
    assert.deepEqual((flagged.data as WireMessage).flag, {
      flagStatus: 'flagged',
      startDateTime: { dateTime: '2026-08-30T12:00:00', timeZone: 'UTC' },
      dueDateTime: due,
    });
    const done = await graph.patch(msgPath(id), { flag: { flagStatus: 'complete' } });
    assert.equal((done.data as WireMessage).flag.flagStatus, 'complete');
    assert.deepEqual((done.data as WireMessage).flag.dueDateTime, due);
    const cleared = await graph.patch(msgPath(id), { flag: { flagStatus: 'notflagged' } });
    assert.deepEqual((cleared.data as WireMessage).flag, { flagStatus: 'notFlagged' });
    const odd = await graph.patch(msgPath(id), { flag: { flagStatus: 'waiting' } });
    assert.equal(odd.status, 400, 'an unknown flagStatus breaks the strict schema');
    assert.equal(sim.schemaViolations.filter((v) => v.direction === 'response').length, 0);
  });

  it('replaces the categories with the list PATCHed', async () => {
    const id = sim.addMessage(USER, 'inbox');
    await graph.patch(msgPath(id), { categories: ['Red category', 'Orders'] });
    const res = await graph.get(msgPath(id), { params: { $select: 'categories' } });
    assert.deepEqual((res.data as WireMessage).categories, ['Red category', 'Orders']);
    await graph.patch(msgPath(id), { categories: [] });
    assert.deepEqual(sim.getMessage(USER, id)?.categories, []);
  });

  it('finds a moved mail by internetMessageId across the mailbox; its old id answers 404', async () => {
    const id = sim.addMessage(USER, 'inbox', { internetMessageId: '<order-9@contoso.example>' });
    const newId = sim.moveMessage(USER, id, 'archive');
    const old = await graph.patch(msgPath(id), { isRead: true });
    assert.equal(old.status, 404);
    assert.equal(errorCode(old), 'ErrorItemNotFound');
    const found = await graph.get(`/users/${U}/messages`, {
      params: { $filter: "internetMessageId eq '<order-9@contoso.example>'", $select: 'id,parentFolderId' },
    });
    assert.deepEqual(
      (found.data as { value: WireMessage[] }).value.map((m) => m.id),
      [newId],
    );
  });
});
