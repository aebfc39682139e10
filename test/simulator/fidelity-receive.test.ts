/**
 * Graph's receive-side quirks as the simulator models them (README "Fidelity"): partial and unordered delta rounds,
 * links that go stale, $search's cap, order and index lag, large pages that time out, clouds without delta, moves,
 * and contact and event item attachments.
 */
import * as assert from 'node:assert/strict';
import type { AxiosInstance, AxiosResponse } from 'axios';
import { type Simulator } from './index';
import { errorCode, msgPath, U, USER, simulatorPerTest } from './test-helpers';

interface Page {
  value: Record<string, unknown>[];
  '@odata.nextLink'?: string;
  '@odata.deltaLink'?: string;
}

const DELTA = `/users/${U}/mailFolders/inbox/messages/delta`;
const SELECT = '$select=subject,isRead,receivedDateTime,from';

describe('simulator fidelity: receiving', function () {
  let sim: Simulator;
  let graph: AxiosInstance;

  simulatorPerTest({ mailboxes: [USER, 'archive@contoso.example'] }, (started, client) => {
    sim = started;
    graph = client;
  });

  /** Follows a delta round from `start` (a path or a saved link) to its deltaLink. */
  async function round(
    start: string,
    pageSize = 10,
  ): Promise<{ items: Record<string, unknown>[]; deltaLink: string; pages: number }> {
    const items: Record<string, unknown>[] = [];
    let url: string | undefined = start;
    let pages = 0;
    for (;;) {
      const res: AxiosResponse<Page> = await graph.get(url, {
        headers: { Prefer: `odata.maxpagesize=${pageSize}` },
      });
      assert.equal(res.status, 200, JSON.stringify(res.data));
      pages++;
      items.push(...res.data.value);
      if (res.data['@odata.deltaLink']) return { items, deltaLink: res.data['@odata.deltaLink'], pages };
      url = res.data['@odata.nextLink'];
      assert.ok(url, 'a page carries a nextLink or a deltaLink');
    }
  }

  describe('delta', () => {
    it('returns a changed mail with only id, isRead and parentFolderId when deltaPartialItems is on', async () => {
      const [a] = sim.seedMessages(USER, 'inbox', 3);
      const first = await round(`${DELTA}?${SELECT}`);
      assert.equal(first.items.length, 3);
      assert.ok(
        first.items.every((m) => typeof m.subject === 'string'),
        'the first round is whole',
      );
      sim.setQuirks({ deltaPartialItems: 1 });
      await graph.patch(msgPath(a), { isRead: true });
      const added = sim.addMessage(USER, 'inbox', { subject: 'new one' });
      const next = await round(first.deltaLink);
      const changed = next.items.find((m) => m.id === a) as Record<string, unknown>;
      assert.deepEqual(Object.keys(changed).sort(), [
        '@odata.etag',
        '@odata.type',
        'id',
        'isRead',
        'parentFolderId',
      ]);
      assert.equal(changed.isRead, true);
      assert.equal(changed.parentFolderId, sim.folderId(USER, 'inbox'));
      const fresh = next.items.find((m) => m.id === added) as Record<string, unknown>;
      assert.equal(fresh.subject, 'new one', 'a mail newly added to the folder comes whole');
      assert.deepEqual(sim.schemaViolations, []);
    });

    it('keeps changed items whole while deltaPartialItems is 0 (the default)', async () => {
      const [a] = sim.seedMessages(USER, 'inbox', 2);
      const first = await round(`${DELTA}?${SELECT}`);
      await graph.patch(msgPath(a), { isRead: true });
      const next = await round(first.deltaLink);
      assert.equal(next.items.length, 1);
      assert.equal(typeof next.items[0].subject, 'string');
    });

    it('serves a round in a seeded random order across pages when deltaShuffle is on, each entry once', async () => {
      const ids = sim.seedMessages(USER, 'inbox', 30);
      sim.setQuirks({ deltaShuffle: true });
      sim.reseed(7);
      const shuffled = await round(`${DELTA}?${SELECT}`, 7);
      assert.equal(shuffled.pages, 5);
      const order = shuffled.items.map((m) => m.id as string);
      assert.deepEqual([...order].sort(), [...ids].sort(), 'every mail exactly once');
      assert.notDeepEqual(order, ids, 'not in the order mail arrived');
      sim.reseed(7);
      const again = await round(`${DELTA}?${SELECT}`, 7);
      assert.deepEqual(
        again.items.map((m) => m.id),
        order,
        'the same seed gives the same order',
      );
      // Later rounds are shuffled too, and report removals.
      await graph.delete(msgPath(ids[0]));
      await graph.patch(msgPath(ids[1]), { isRead: true });
      const next = await round(again.deltaLink, 1);
      assert.deepEqual(next.items.map((m) => m.id).sort(), [ids[0], ids[1]].sort());
      assert.ok(next.items.find((m) => m.id === ids[0])?.['@removed']);
      assert.deepEqual(sim.schemaViolations, []);
    });

    it('a mail delivered late or moved back into the folder appears in a later round with an older receivedDateTime', async () => {
      sim.seedMessages(USER, 'inbox', 3);
      const archived = sim.addMessage(USER, 'archive', {
        subject: 'restored',
        receivedDateTime: new Date(Date.now() - 5 * 86400_000).toISOString(),
      });
      const first = await round(`${DELTA}?${SELECT}`);
      const oldest = Math.min(...first.items.map((m) => Date.parse(m.receivedDateTime as string)));
      const late = sim.deliverLate(USER, 'inbox', { subject: 'late and large' });
      const restored = sim.moveMessage(USER, archived, 'inbox');
      assert.notEqual(restored, archived, 'a move gives a new id');
      const next = await round(first.deltaLink);
      assert.deepEqual(next.items.map((m) => m.id).sort(), [late, restored].sort());
      for (const m of next.items) assert.ok(Date.parse(m.receivedDateTime as string) < oldest);
    });

    it('turns saved links stale on demand (staleNextDeltaLinks) or at a rate (deltaStaleRate)', async () => {
      sim.seedMessages(USER, 'inbox', 5);
      const first = await round(`${DELTA}?${SELECT}`);
      sim.staleNextDeltaLinks(1);
      const fresh = await graph.get(`${DELTA}?${SELECT}`);
      assert.equal(fresh.status, 200, 'an initial request carries no link and never turns stale');
      const stale = await graph.get(first.deltaLink);
      assert.equal(stale.status, 410);
      assert.equal(errorCode(stale), 'syncStateNotFound');
      assert.equal((await graph.get(first.deltaLink)).status, 200, 'only the next one');
      sim.setQuirks({ deltaStaleRate: 1 });
      const page = await graph.get(`${DELTA}?${SELECT}`, { headers: { Prefer: 'odata.maxpagesize=2' } });
      const next = await graph.get((page.data as Page)['@odata.nextLink'] as string);
      assert.equal(next.status, 410, 'a nextLink turns stale too');
      sim.setQuirks({ deltaStaleRate: 0 });
      sim.staleNextDeltaLinks(3);
      sim.clearFaults();
      assert.equal((await graph.get(first.deltaLink)).status, 200, 'clearFaults drops pending stale links');
    });

    it('answers 400 ErrorInvalidIdMalformed in a cloud without message delta', async () => {
      sim.setMessageDelta(false);
      const res = await graph.get(DELTA);
      assert.equal(res.status, 400);
      assert.equal(errorCode(res), 'ErrorInvalidIdMalformed');
      assert.equal((await graph.get(`/users/${U}/mailFolders/inbox/messages`)).status, 200);
    });
  });

  describe('$search', () => {
    it('returns at most 1,000 results, newest sent first', async () => {
      const base = Math.floor(Date.now() / 1000) * 1000 - 10 * 86400_000;
      // Sent order differs from received order: sentDateTime decides.
      sim.seedMessages(USER, 'inbox', 1100, (i) => ({
        subject: `invoice ${i}`,
        receivedDateTime: new Date(base + i * 60_000).toISOString(),
        sentDateTime: new Date(base + ((i * 7919) % 1100) * 60_000).toISOString(),
      }));
      let url: string | undefined =
        `/users/${U}/mailFolders/inbox/messages?$search="invoice"&$top=300&$select=subject,sentDateTime`;
      const got: Record<string, unknown>[] = [];
      while (url) {
        const res: AxiosResponse<Page> = await graph.get(url);
        assert.equal(res.status, 200);
        got.push(...res.data.value);
        url = res.data['@odata.nextLink'];
      }
      assert.equal(got.length, 1000);
      const sent = got.map((m) => Date.parse(m.sentDateTime as string));
      assert.ok(
        sent.every((t, i) => i === 0 || sent[i - 1] >= t),
        'newest sent first',
      );
      assert.equal(sent[0], base + 1099 * 60_000);
    });

    it('does not find mail the index has not taken in yet (searchLagMs)', async () => {
      sim.setQuirks({ searchLagMs: 300 });
      sim.addMessage(USER, 'inbox', { subject: 'fresh order' });
      const search = `/users/${U}/mailFolders/inbox/messages?$search="order"`;
      assert.equal(((await graph.get(search)).data as Page).value.length, 0);
      const listed = (await graph.get(`/users/${U}/mailFolders/inbox/messages`)).data as Page;
      assert.equal(listed.value.length, 1, 'a listing sees it at once');
      await new Promise((r) => setTimeout(r, 350));
      assert.equal(((await graph.get(search)).data as Page).value.length, 1);
    });
  });

  describe('large pages', () => {
    it('answers 504 for a page over the attachment or size threshold, 200 for a smaller one', async () => {
      sim.seedMessages(USER, 'inbox', 10, (i) => ({
        subject: `with file ${i}`,
        attachments: [{ kind: 'file', name: `f${i}.bin`, content: Buffer.alloc(2000, i) }],
      }));
      sim.setQuirks({ largePage: { maxExpandedAttachments: 5 } });
      const list = `/users/${U}/mailFolders/inbox/messages?$expand=attachments`;
      const big = await graph.get(`${list}&$top=10`);
      assert.equal(big.status, 504);
      assert.equal(errorCode(big), 'UnknownError');
      assert.equal((await graph.get(`${list}&$top=5`)).status, 200);
      assert.equal(
        (await graph.get(`/users/${U}/mailFolders/inbox/messages?$top=10`)).status,
        200,
        'without $expand',
      );
      sim.setQuirks({ largePage: { maxResponseBytes: 5000 } });
      assert.equal((await graph.get(`/users/${U}/mailFolders/inbox/messages?$top=10`)).status, 504);
      assert.equal(
        (await graph.get(`/users/${U}/mailFolders/inbox/messages?$top=2&$select=subject`)).status,
        200,
      );
      sim.setQuirks({ largePage: null });
      assert.equal((await graph.get(`${list}&$top=10`)).status, 200);
    });

    it('can answer late, so that a client timeout sees a timeout', async () => {
      sim.seedMessages(USER, 'inbox', 3);
      sim.setQuirks({ largePage: { maxResponseBytes: 10, delayMs: 400 } });
      await assert.rejects(graph.get(`/users/${U}/mailFolders/inbox/messages`, { timeout: 150 }), /timeout/);
      const started = Date.now();
      const res = await graph.get(`/users/${U}/mailFolders/inbox/messages`);
      assert.equal(res.status, 504);
      assert.ok(Date.now() - started >= 380);
    });
  });

  describe('move', () => {
    it('stamps a new lastModifiedDateTime and changeKey by default, keeps them with moveKeepsLastModified', async () => {
      const old = new Date(Date.now() - 86400_000);
      const id = sim.addMessage(USER, 'inbox', { subject: 'to move' });
      const before = sim.getMessage(USER, id);
      assert.ok(before);
      const stamped = await graph.post(msgPath(id, '/move'), { destinationId: 'archive' });
      assert.equal(stamped.status, 201);
      assert.notEqual(stamped.data.changeKey, before.changeKey);
      assert.ok(
        Date.parse(stamped.data.lastModifiedDateTime as string) >=
          Math.floor(Date.now() / 1000) * 1000 - 2000,
      );
      sim.setMoveKeepsLastModified(true);
      const kept = await graph.post(msgPath(stamped.data.id as string, '/move'), { destinationId: 'inbox' });
      assert.equal(kept.data.changeKey, stamped.data.changeKey);
      assert.equal(kept.data.lastModifiedDateTime, stamped.data.lastModifiedDateTime);
      assert.ok(old < new Date(kept.data.lastModifiedDateTime as string));
    });

    it('of two concurrent moves of one mail exactly one wins, also inside one $batch', async () => {
      sim.setLatency(20);
      for (let trial = 0; trial < 5; trial++) {
        const id = sim.addMessage(USER, 'inbox', { subject: `race ${trial}` });
        const answers = await Promise.all([
          graph.post(msgPath(id, '/move'), { destinationId: 'archive' }),
          graph.post(msgPath(id, '/move'), { destinationId: 'deleteditems' }),
        ]);
        assert.deepEqual(answers.map((r) => r.status).sort(), [201, 404]);
      }
      const id = sim.addMessage(USER, 'inbox', { subject: 'race in batch' });
      const url = `/users/${U}/messages/${encodeURIComponent(id)}/move`;
      const batch = await graph.post('/$batch', {
        requests: ['1', '2'].map((n) => ({
          id: n,
          method: 'POST',
          url,
          headers: { 'Content-Type': 'application/json' },
          body: { destinationId: 'archive' },
        })),
      });
      const statuses = (batch.data as { responses: { status: number }[] }).responses
        .map((r) => r.status)
        .sort();
      assert.deepEqual(statuses, [201, 404]);
      assert.equal(sim.messages(USER, 'archive').filter((m) => m.subject.startsWith('race')).length, 6);
    });
  });

  describe('item attachments', () => {
    it('contacts and events have contentType null and a vCard or iCalendar $value; references answer 405', async () => {
      const id = sim.addMessage(USER, 'inbox', {
        subject: 'card and meeting',
        attachments: [
          {
            kind: 'contact',
            name: 'Alex Wilbur',
            contact: {
              displayName: 'Alex Wilbur',
              givenName: 'Alex',
              surname: 'Wilbur',
              email: 'alex@contoso.example',
              company: 'Contoso',
            },
          },
          {
            kind: 'event',
            name: 'Review',
            event: {
              subject: 'Review; docs',
              start: '2030-04-09T14:00:00Z',
              end: '2030-04-09T16:00:00Z',
              location: 'Room 1',
            },
          },
          { kind: 'item', name: 'Forwarded', message: { subject: 'inner' } },
          { kind: 'reference', name: 'Plan.docx' },
        ],
      });
      const list = await graph.get(msgPath(id, '/attachments'));
      assert.equal(list.status, 200);
      const atts = (list.data as Page).value;
      const [contact, event, message, reference] = atts;
      for (const item of [contact, event, message]) {
        assert.equal(item['@odata.type'], '#microsoft.graph.itemAttachment');
        assert.equal(item.contentType, null);
      }
      const vcard = await graph.get(
        msgPath(id, `/attachments/${encodeURIComponent(contact.id as string)}/$value`),
        {
          responseType: 'text',
        },
      );
      assert.match(
        vcard.data as string,
        /^BEGIN:VCARD\r\n[\s\S]*FN:Alex Wilbur\r\n[\s\S]*EMAIL;TYPE=INTERNET:alex@contoso.example[\s\S]*END:VCARD\r\n$/,
      );
      const ics = await graph.get(
        msgPath(id, `/attachments/${encodeURIComponent(event.id as string)}/$value`),
        {
          responseType: 'text',
        },
      );
      assert.match(
        ics.data as string,
        /^BEGIN:VCALENDAR\r\n[\s\S]*SUMMARY;LANGUAGE=en-US:Review\\; docs\r\nDTSTART:20300409T140000Z[\s\S]*END:VCALENDAR\r\n$/,
      );
      const mime = await graph.get(
        msgPath(id, `/attachments/${encodeURIComponent(message.id as string)}/$value`),
        {
          responseType: 'text',
        },
      );
      assert.match(mime.data as string, /Subject: inner/);
      const expanded = await graph.get(
        msgPath(
          id,
          `/attachments/${encodeURIComponent(event.id as string)}?$expand=microsoft.graph.itemattachment/item`,
        ),
      );
      assert.equal(
        (expanded.data as { item: Record<string, unknown> }).item['@odata.type'],
        '#microsoft.graph.event',
      );
      const ref = await graph.get(
        msgPath(id, `/attachments/${encodeURIComponent(reference.id as string)}/$value`),
      );
      assert.equal(ref.status, 405);
      const whole = await graph.get(msgPath(id, '/$value'), { responseType: 'text' });
      assert.match(whole.data as string, /Content-Type: text\/x-vcard[\s\S]*Content-Type: text\/calendar/);
      assert.deepEqual(sim.schemaViolations, []);
    });
  });
});
