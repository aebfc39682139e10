import * as assert from 'node:assert/strict';
import type { AxiosInstance } from 'axios';
import { type Simulator } from './index';
import { errorCode, msgPath, U, USER, simulatorPerTest } from './test-helpers';

describe('simulator: fault and load controls, counters and request log', function () {
  let sim: Simulator;
  let graph: AxiosInstance;
  const inbox = `/users/${U}/mailFolders/inbox/messages`;

  simulatorPerTest({ mailboxes: [USER, 'other@contoso.example'] }, (started, client) => {
    sim = started;
    graph = client;
    sim.resetCounters();
  });

  it('throttleNext answers 429 ApplicationThrottled with Retry-After, then recovers', async () => {
    sim.throttleNext(2, { retryAfter: 3 });
    const first = await graph.get(inbox);
    assert.equal(first.status, 429);
    assert.equal(errorCode(first), 'ApplicationThrottled');
    assert.equal(first.data.error.message, 'Application is over its MailboxConcurrency limit.');
    assert.equal(first.headers['retry-after'], '3');
    assert.equal((await graph.get(inbox)).status, 429);
    assert.equal((await graph.get(inbox)).status, 200);
    assert.equal(sim.counters.throttled, 2);
    sim.throttleNext(1, { retryAfter: null });
    const noHeader = await graph.get(inbox);
    assert.equal(noHeader.status, 429);
    assert.equal(noHeader.headers['retry-after'], undefined);
  });

  it('failNext answers the status with a Graph error body; match narrows which operations fail', async () => {
    const id = sim.addMessage(USER, 'inbox');
    sim.failNext(1, 503, { retryAfter: 2, match: { operation: 'patchMessage' } });
    assert.equal((await graph.get(inbox)).status, 200, 'other operations pass');
    const failed = await graph.patch(msgPath(id), { isRead: true });
    assert.equal(failed.status, 503);
    assert.equal(errorCode(failed), 'ServiceUnavailable');
    assert.equal(failed.headers['retry-after'], '2');
    assert.equal(sim.getMessage(USER, id)?.isRead, false, 'a failed operation changes nothing');
    sim.failNext(1, 500, { code: 'generalException', match: { mailbox: 'other@contoso.example' } });
    assert.equal((await graph.get(inbox)).status, 200);
    const other = await graph.get('/users/other%40contoso.example/messages');
    assert.equal(other.status, 500);
    assert.equal(errorCode(other), 'generalException');
    sim.failNext(1, 504, { match: { method: 'DELETE', pathIncludes: 'messages' } });
    assert.equal((await graph.delete(msgPath(id))).status, 504);
    assert.equal((await graph.delete(msgPath(id))).status, 204);
  });

  it('dropNext destroys the connection before, or after applying, the operation', async () => {
    const id = sim.addMessage(USER, 'inbox');
    sim.dropNext(1, { match: { operation: 'patchMessage' } });
    await assert.rejects(graph.patch(msgPath(id), { isRead: true }), /socket hang up|ECONNRESET/);
    assert.equal(sim.getMessage(USER, id)?.isRead, false);
    sim.dropNext(1, { after: true, match: { operation: 'patchMessage' } });
    await assert.rejects(graph.patch(msgPath(id), { isRead: true }), /socket hang up|ECONNRESET/);
    assert.equal(sim.getMessage(USER, id)?.isRead, true, 'applied, then dropped');
    assert.equal((await graph.get(msgPath(id))).status, 200);
  });

  it('carries out a request whose client gave up, and idle() waits until it is done', async () => {
    const id = sim.addMessage(USER, 'inbox');
    sim.slowNext(1, 400, { match: { operation: 'patchMessage' } });
    await assert.rejects(graph.patch(msgPath(id), { isRead: true }, { timeout: 50 }), /timeout/);
    assert.equal(sim.requestsInFlight, 1, 'the simulator still works on it');
    assert.equal(sim.getMessage(USER, id)?.isRead, false);
    await sim.idle(2000);
    assert.equal(sim.requestsInFlight, 0);
    assert.equal(sim.getMessage(USER, id)?.isRead, true, 'applied after the client had given up');
    sim.slowNext(1, 1000);
    const late = graph.get(msgPath(id)).catch(() => undefined);
    while (sim.requestsInFlight === 0) await new Promise((r) => setTimeout(r, 5));
    await assert.rejects(sim.idle(100), /still 1 request\(s\) in flight after 100 ms/);
    await late;
  });

  it('slowNext delays the answer; malformedNext applies and answers a truncated JSON body', async () => {
    const id = sim.addMessage(USER, 'inbox');
    sim.slowNext(1, 300);
    const started = Date.now();
    assert.equal((await graph.get(msgPath(id))).status, 200);
    assert.ok(Date.now() - started >= 250, 'the delay was applied');
    sim.malformedNext(1, { match: { operation: 'patchMessage' } });
    const res = await graph.patch(
      msgPath(id),
      { isRead: true },
      { responseType: 'text', transitional: { silentJSONParsing: true } },
    );
    assert.equal(res.status, 200);
    assert.throws(() => JSON.parse(res.data as string));
    assert.equal(sim.getMessage(USER, id)?.isRead, true);
  });

  it('answers 429 MailboxConcurrency beyond the per-mailbox limit and tracks max in flight', async () => {
    sim.setLatency(200);
    sim.setConcurrencyLimit(2);
    const results = await Promise.all(Array.from({ length: 5 }, () => graph.get(inbox)));
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 200, 429, 429, 429]);
    const throttled = results.find((r) => r.status === 429);
    assert.equal(throttled?.headers['retry-after'], '1');
    assert.equal(sim.counters.maxInFlightByMailbox[USER], 2);
    sim.setConcurrencyLimit(0);
    const unlimited = await Promise.all(Array.from({ length: 6 }, () => graph.get(inbox)));
    assert.ok(unlimited.every((r) => r.status === 200));
    assert.equal(sim.counters.maxInFlightByMailbox[USER], 6);
    assert.equal(sim.counters.maxInFlightByMailbox['other@contoso.example'], undefined);
  });

  it('answers 429 MailboxRate when the rate window is full, with Retry-After until it frees', async () => {
    sim.setRateLimit({ operations: 3, windowMs: 60_000 });
    for (let i = 0; i < 3; i++) assert.equal((await graph.get(inbox)).status, 200);
    const over = await graph.get(inbox);
    assert.equal(over.status, 429);
    assert.match(over.data.error.message, /MailboxRate/);
    const retryAfter = Number(over.headers['retry-after']);
    assert.ok(retryAfter >= 1 && retryAfter <= 60);
    assert.equal(
      (await graph.get('/users/other%40contoso.example/messages')).status,
      200,
      'limits are per mailbox',
    );
    sim.setRateLimit(null);
    assert.equal((await graph.get(inbox)).status, 200);
  });

  it('counts requests and operations, logs raw paths and clears faults', async () => {
    const id = sim.addMessage(USER, 'inbox');
    await graph.get(inbox);
    await graph.get(msgPath(id));
    await graph.patch(msgPath(id), { isRead: true });
    assert.equal(sim.counters.graphRequests, 3);
    assert.equal(sim.counters.operations, 3);
    assert.equal(sim.counters.byOperation.listMessages, 1);
    assert.equal(sim.counters.byOperation.getMessage, 1);
    assert.equal(sim.counters.byOperation.patchMessage, 1);
    assert.ok(sim.counters.bytesIn > 0 && sim.counters.bytesOut > 0);
    const patch = sim.requests.find((r) => r.operation === 'patchMessage');
    assert.equal(patch?.rawPath, `/v1.0${msgPath(id)}`, 'percent-encoding is kept as sent');
    assert.equal(patch?.mailbox, USER);
    assert.equal(patch?.status, 200);
    assert.equal(patch?.inBatch, false);
    assert.equal(patch?.headers.authorization, undefined);
    sim.throttleNext(5);
    sim.clearFaults();
    assert.equal((await graph.get(inbox)).status, 200);
    sim.resetCounters();
    assert.equal(sim.counters.operations, 0);
    assert.equal(sim.requests.length, 0);
  });

  it('rejects bad control arguments with a clear error', () => {
    assert.throws(() => sim.throttleNext(-1), /whole number/);
    assert.throws(() => sim.failNext(1, 200), /400-599/);
    assert.throws(() => sim.setConcurrencyLimit(1.5), /whole number/);
    assert.throws(() => sim.setRateLimit({ operations: 0, windowMs: 1 }), /operations > 0/);
    assert.throws(
      () => sim.addMessage('nobody@contoso.example', 'inbox'),
      /no mailbox 'nobody@contoso.example'/,
    );
    assert.throws(() => sim.folderId(USER, 'Inbox/Nope'), /no folder 'Inbox\/Nope'/);
  });

  it('adds arrivals on a timer until stop()', async () => {
    sim.startArrivals(USER, 50);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.ok(sim.messages(USER, 'inbox').length >= 2);
  });
});
