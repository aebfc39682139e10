import * as assert from 'node:assert/strict';
import type { AxiosInstance, AxiosResponse } from 'axios';
import { type Simulator } from './index';
import { errorCode, U, USER, simulatorPerTest } from './test-helpers';

interface BatchResponse {
  responses: { id: string; status: number; headers?: Record<string, string>; body?: unknown }[];
}

describe('simulator: $batch and delta', function () {
  let sim: Simulator;
  let graph: AxiosInstance;

  simulatorPerTest(undefined, (started, client) => {
    sim = started;
    graph = client;
    sim.resetCounters();
  });

  const byId = (data: BatchResponse, id: string) => data.responses.find((r) => r.id === id);

  describe('$batch', () => {
    it('runs each item through the same handlers and counts items as operations', async () => {
      const [a, b] = sim.seedMessages(USER, 'inbox', 2);
      const res = await graph.post('/$batch', {
        requests: [
          {
            id: '1',
            method: 'PATCH',
            url: `/users/${U}/messages/${encodeURIComponent(a)}`,
            headers: { 'Content-Type': 'application/json' },
            body: { isRead: true },
          },
          { id: '2', method: 'DELETE', url: `/users/${U}/messages/${encodeURIComponent(b)}` },
          { id: '3', method: 'GET', url: `/users/${U}/messages/AAMkAGmissingAAAAAAAAAAAAAAAAAAAAAAAAAAA=` },
          { id: '4', method: 'GET', url: `users/${U}/mailFolders/inbox/messages?$select=isRead` },
        ],
      });
      assert.equal(res.status, 200);
      const data = res.data as BatchResponse;
      assert.equal(byId(data, '1')?.status, 200);
      assert.equal(byId(data, '2')?.status, 204);
      assert.equal(byId(data, '3')?.status, 404);
      assert.equal((byId(data, '3')?.body as { error: { code: string } }).error.code, 'ErrorItemNotFound');
      const listed = byId(data, '4')?.body as { value: { isRead: boolean }[] };
      assert.deepEqual(
        listed.value.map((m) => m.isRead),
        [true],
      );
      assert.equal(sim.getMessage(USER, a)?.isRead, true);
      assert.equal(sim.counters.batchRequests, 1);
      assert.equal(sim.counters.operations, 5);
      assert.equal(sim.counters.graphRequests, 1);
      assert.equal(sim.requests.filter((r) => r.inBatch).length, 4);
      assert.deepEqual(sim.schemaViolations, []);
    });

    it('validates item bodies strictly, honours dependsOn and refuses more than 20 items', async () => {
      const id = sim.addMessage(USER, 'inbox');
      const path = `/users/${U}/messages/${encodeURIComponent(id)}`;
      const res = await graph.post('/$batch', {
        requests: [
          { id: 'bad', method: 'PATCH', url: path, body: { isRead: true, nonsense: 1 } },
          { id: 'after', method: 'GET', url: path, dependsOn: ['bad'] },
        ],
      });
      assert.equal(byId(res.data, 'bad')?.status, 400);
      assert.equal(byId(res.data, 'after')?.status, 424);
      assert.equal(sim.schemaViolations.length, 1);
      const many = await graph.post('/$batch', {
        requests: Array.from({ length: 21 }, (_, i) => ({ id: String(i), method: 'GET', url: path })),
      });
      assert.equal(many.status, 400);
      const unknownDep = await graph.post('/$batch', {
        requests: [{ id: '1', method: 'GET', url: path, dependsOn: ['x'] }],
      });
      assert.equal(unknownDep.status, 400);
    });

    it('refuses a batch mixing chained and free items, as Graph does; accepts parallel, serial and "same" shapes', async () => {
      const ids = sim.seedMessages(USER, 'inbox', 4);
      const url = (id: string) => `/users/${U}/messages/${encodeURIComponent(id)}`;
      const patch = (n: number, dependsOn?: string[]) => ({
        id: `p${n}`,
        method: 'PATCH',
        url: url(ids[n]),
        headers: { 'Content-Type': 'application/json' },
        body: { isRead: true },
        ...(dependsOn ? { dependsOn } : {}),
      });
      const move = (n: number, dependsOn?: string[]) => ({
        id: `m${n}`,
        method: 'POST',
        url: `${url(ids[n])}/move`,
        headers: { 'Content-Type': 'application/json' },
        body: { destinationId: 'archive' },
        ...(dependsOn ? { dependsOn } : {}),
      });
      // PATCH-then-move pairs: each move depends on its own PATCH, the PATCHes on nothing.
      const pairs = await graph.post('/$batch', {
        requests: [patch(0), move(0, ['p0']), patch(1), move(1, ['p1'])],
      });
      assert.equal(pairs.status, 400);
      assert.match(JSON.stringify(pairs.data), /Batch should be either fully sequential or fully parallel/);
      assert.equal(sim.getMessage(USER, ids[0])?.isRead, false, 'nothing of a refused batch ran');
      const parallel = await graph.post('/$batch', { requests: [patch(0), patch(1)] });
      assert.equal(parallel.status, 200);
      const serial = await graph.post('/$batch', { requests: [patch(2), patch(3, ['p2']), move(2, ['p3'])] });
      assert.equal(serial.status, 200);
      assert.ok((serial.data as BatchResponse).responses.every((r) => r.status < 300));
      const same = await graph.post('/$batch', { requests: [patch(0), move(0, ['p0']), move(1, ['p0'])] });
      assert.equal(same.status, 200);
    });

    it('runs a chained batch one item after another, so 4 chained batches fit the mailbox slots; a failure 424s the rest of the chain', async () => {
      const ids = sim.seedMessages(USER, 'inbox', 24);
      const chain = (part: string[]) => ({
        requests: part.map((id, i) => ({
          id: String(i + 1),
          method: 'PATCH',
          url: `/users/${U}/messages/${encodeURIComponent(id)}`,
          headers: { 'Content-Type': 'application/json' },
          body: { isRead: true },
          ...(i > 0 ? { dependsOn: [String(i)] } : {}),
        })),
      });
      sim.setLatency(20);
      const started = Date.now();
      const one = await graph.post('/$batch', chain(ids.slice(0, 6)));
      assert.ok(Date.now() - started >= 6 * 20, 'the items ran in turn');
      assert.ok((one.data as BatchResponse).responses.every((r) => r.status === 200));
      assert.equal(sim.counters.maxInFlightByMailbox[USER], 1);
      sim.resetCounters();
      const four = await Promise.all(
        [0, 1, 2, 3].map((k) => graph.post('/$batch', chain(ids.slice(6 + k * 4, 10 + k * 4)))),
      );
      assert.equal(sim.counters.throttled, 0, 'one slot per chain: 4 chains never exceed 4 at once');
      assert.ok(four.every((r) => (r.data as BatchResponse).responses.every((x) => x.status === 200)));
      sim.setLatency(0);
      const missing = 'AAMkAGmissingAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
      const broken = await graph.post('/$batch', chain([ids[22], missing, ids[23]]));
      assert.deepEqual(
        (broken.data as BatchResponse).responses.map((r) => r.status),
        [200, 404, 424],
      );
      assert.equal(sim.getMessage(USER, ids[23])?.isRead, false, 'not run after the failure');
    });

    it('applies faults and the mailbox limit to items; a dropped item drops the batch connection', async () => {
      const ids = sim.seedMessages(USER, 'inbox', 6);
      const requests = ids.map((id, i) => ({
        id: String(i),
        method: 'GET',
        url: `/users/${U}/messages/${encodeURIComponent(id)}`,
      }));
      sim.throttleNext(1, { match: { inBatch: true } });
      const throttled = await graph.post('/$batch', { requests });
      const statuses = (throttled.data as BatchResponse).responses.map((r) => r.status);
      assert.equal(statuses.filter((s) => s === 429).length, 1);
      assert.equal(statuses.filter((s) => s === 200).length, 5);
      const limited = (throttled.data as BatchResponse).responses.find((r) => r.status === 429);
      assert.equal(limited?.headers?.['Retry-After'], '1');

      sim.setLatency(100);
      sim.setConcurrencyLimit(3);
      const busy = await graph.post('/$batch', { requests });
      const busyStatuses = (busy.data as BatchResponse).responses.map((r) => r.status);
      // Items run 4 at a time: 3 hold the mailbox slots, the others are turned away while those are busy.
      assert.equal(busyStatuses.filter((s) => s === 200).length, 3);
      assert.equal(busyStatuses.filter((s) => s === 429).length, 3);
      assert.equal(sim.counters.maxInFlightByMailbox[USER], 3);
      sim.setLatency(0);
      sim.setConcurrencyLimit(4);

      sim.dropNext(1, { match: { operation: 'getMessage', inBatch: true } });
      await assert.rejects(graph.post('/$batch', { requests }), /socket hang up|ECONNRESET/);
    });

    it('answers 401 for the whole batch without a valid token', async () => {
      sim.expireTokens();
      const res = await graph.post('/$batch', {
        requests: [{ id: '1', method: 'GET', url: `/users/${U}/messages` }],
      });
      assert.equal(res.status, 401);
      assert.equal(errorCode(res), 'InvalidAuthenticationToken');
    });
  });

  describe('delta', () => {
    const deltaUrl = `/users/${U}/mailFolders/inbox/messages/delta`;

    async function round(url: string, pageSize = 3) {
      const items: Record<string, unknown>[] = [];
      let next: string | undefined = url;
      let deltaLink: string | undefined;
      while (next) {
        const res: AxiosResponse = await graph.get(next, {
          headers: { Prefer: `odata.maxpagesize=${pageSize}` },
        });
        assert.equal(res.status, 200, JSON.stringify(res.data));
        items.push(...res.data.value);
        next = res.data['@odata.nextLink'];
        deltaLink = res.data['@odata.deltaLink'];
        if (next) assert.equal(deltaLink, undefined);
      }
      assert.ok(deltaLink, 'the last page carries a deltaLink');
      return { items, deltaLink: deltaLink as string };
    }

    it('pages the initial sync, then returns only additions, changes and removals', async () => {
      const ids = sim.seedMessages(USER, 'inbox', 7);
      sim.addMessage(USER, 'archive');
      const first = await round(`${deltaUrl}?$select=subject,isRead`);
      assert.equal(first.items.length, 7);
      assert.deepEqual(new Set(first.items.map((m) => m.id)), new Set(ids));
      assert.deepEqual(Object.keys(first.items[0]).sort(), ['@odata.etag', 'id', 'isRead', 'subject']);

      const quiet = await round(first.deltaLink);
      assert.equal(quiet.items.length, 0);

      const added = sim.addMessage(USER, 'inbox', { subject: 'new one' });
      await graph.patch(`/users/${U}/messages/${encodeURIComponent(ids[0])}`, { isRead: true });
      await graph.delete(`/users/${U}/messages/${encodeURIComponent(ids[1])}`);
      const moved = await graph.post(`/users/${U}/messages/${encodeURIComponent(ids[2])}/move`, {
        destinationId: 'archive',
      });
      assert.equal(moved.status, 201);
      const changes = await round(quiet.deltaLink, 2);
      const changedIds = changes.items.filter((m) => !m['@removed']).map((m) => m.id);
      const removedIds = changes.items.filter((m) => m['@removed']).map((m) => m.id);
      assert.deepEqual(new Set(changedIds), new Set([added, ids[0]]));
      assert.deepEqual(new Set(removedIds), new Set([ids[1], ids[2]]));
      assert.deepEqual(changes.items.find((m) => m.id === ids[1])?.['@removed'], { reason: 'deleted' });
      assert.deepEqual(sim.schemaViolations, []);
    });

    it('pages a large folder once each, and a change made mid-round shows up in the next round', async () => {
      const ids = sim.seedMessages(USER, 'inbox', 2500);
      const first = await graph.get(deltaUrl, { headers: { Prefer: 'odata.maxpagesize=1000' } });
      assert.equal(first.data.value.length, 1000);
      assert.equal(first.headers['preference-applied'], 'odata.maxpagesize=1000');
      const changed = first.data.value[0].id as string;
      await graph.patch(`/users/${U}/messages/${encodeURIComponent(changed)}`, { isRead: true });
      const rest = await round(first.data['@odata.nextLink'], 1000);
      const seen = new Set([
        ...first.data.value.map((m: { id: string }) => m.id),
        ...rest.items.map((m) => m.id),
      ]);
      assert.equal(seen.size, 2500);
      assert.deepEqual(seen, new Set(ids));
      const next = await round(rest.deltaLink, 1000);
      assert.deepEqual(
        next.items.map((m) => [m.id, m.isRead]),
        [[changed, true]],
      );
    });

    it('answers 410 syncStateNotFound for invalidated tokens and 400 for garbage ones', async () => {
      sim.seedMessages(USER, 'inbox', 2);
      const first = await round(deltaUrl);
      sim.invalidateDeltaTokens();
      const stale = await graph.get(first.deltaLink);
      assert.equal(stale.status, 410);
      assert.equal(errorCode(stale), 'syncStateNotFound');
      const garbage = await graph.get(`${deltaUrl}?$deltatoken=not-a-token`);
      assert.equal(garbage.status, 400);
      const fresh = await round(deltaUrl);
      assert.equal(fresh.items.length, 2);
    });
  });
});
