import * as assert from 'node:assert/strict';
import type { AxiosInstance, AxiosResponse } from 'axios';
import { DEFAULT_APP, type Simulator } from './index';
import { errorCode, msgPath, U, USER, simulatorPerTest } from './test-helpers';

interface Listed {
  id: string;
  subject?: string;
  isRead?: boolean;
  receivedDateTime?: string;
  body?: { contentType: string; content: string };
  '@odata.etag'?: string;
  [key: string]: unknown;
}

describe('simulator: folders and messages', function () {
  let sim: Simulator;
  let graph: AxiosInstance;

  simulatorPerTest(
    {
      mailboxes: [USER, 'other@contoso.example'],
      apps: [{ ...DEFAULT_APP, deniedMailboxes: ['secret@contoso.example'] }],
    },
    (started, client) => {
      sim = started;
      graph = client;
      sim.addMailbox('secret@contoso.example');
      sim.addMailbox('gone@contoso.example', { state: 'inactive' });
    },
  );

  async function listAll(url: string, headers: Record<string, string> = {}): Promise<Listed[]> {
    const all: Listed[] = [];
    let next: string | undefined = url;
    while (next) {
      const res: AxiosResponse = await graph.get(next, { headers });
      assert.equal(res.status, 200, JSON.stringify(res.data));
      all.push(...(res.data.value as Listed[]));
      next = res.data['@odata.nextLink'];
      if (next) assert.ok(next.startsWith(`${sim.url}/v1.0/`), 'nextLink is absolute on this server');
    }
    return all;
  }

  it('lists top-level folders, filters by displayName and creates child folders', async () => {
    const top = await graph.get(`/users/${U}/mailFolders?$top=100`);
    assert.equal(top.status, 200);
    const names = top.data.value.map((f: { displayName: string }) => f.displayName);
    for (const n of ['Inbox', 'Drafts', 'Sent Items', 'Deleted Items', 'Archive', 'Junk Email', 'Outbox'])
      assert.ok(names.includes(n));
    const filtered = await graph.get(`/users/${U}/mailFolders`, {
      params: { $filter: "displayName eq 'inbox'" },
    });
    assert.equal(filtered.data.value.length, 1);
    assert.equal(filtered.data.value[0].id, sim.folderId(USER, 'inbox'));
    const created = await graph.post(`/users/${U}/mailFolders/inbox/childFolders`, { displayName: 'Orders' });
    assert.equal(created.status, 201);
    assert.equal(created.data.id, sim.folderId(USER, 'Inbox/Orders'));
    const dup = await graph.post(`/users/${U}/mailFolders/inbox/childFolders`, { displayName: 'orders' });
    assert.equal(dup.status, 409);
    const children = await graph.get(`/users/${U}/mailFolders/inbox/childFolders`, {
      params: { $filter: "displayName eq 'Orders'" },
    });
    assert.equal(children.data.value[0].displayName, 'Orders');
    const one = await graph.get(
      `/users/${U}/mailFolders/${encodeURIComponent(created.data.id)}?$select=displayName`,
    );
    assert.deepEqual(Object.keys(one.data).sort(), ['@odata.context', 'displayName', 'id']);
    const paged = await graph.get(`/users/${U}/mailFolders?$top=2`);
    assert.equal(paged.data.value.length, 2);
    assert.ok(paged.data['@odata.nextLink']);
    assert.deepEqual(sim.schemaViolations, []);
  });

  it('pages a folder newest first with $top and an absolute nextLink; default page is 10', async () => {
    sim.seedMessages(USER, 'inbox', 25);
    const first = await graph.get(`/users/${U}/mailFolders/inbox/messages`);
    assert.equal(first.data.value.length, 10);
    const all = await listAll(`/users/${U}/mailFolders/inbox/messages?$top=7`);
    assert.equal(all.length, 25);
    assert.equal(new Set(all.map((m) => m.id)).size, 25);
    const times = all.map((m) => Date.parse(m.receivedDateTime as string));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
    );
    assert.equal(all[0].subject, 'Test mail 25');
    assert.deepEqual(sim.schemaViolations, []);
  });

  it('rejects $top outside 1..1000 and unknown query options', async () => {
    assert.equal((await graph.get(`/users/${U}/messages?$top=1001`)).status, 400);
    assert.equal((await graph.get(`/users/${U}/messages?$top=0`)).status, 400);
    assert.equal((await graph.get(`/users/${U}/messages?$frobnicate=1`)).status, 400);
  });

  it('filters by isRead, hasAttachments and receivedDateTime, combined with and', async () => {
    const base = Date.parse('2024-03-01T00:00:00Z');
    sim.seedMessages(USER, 'inbox', 10, (i) => ({
      subject: `m${i}`,
      isRead: i % 2 === 0,
      receivedDateTime: new Date(base + i * 3600_000).toISOString(),
      attachments: i === 3 ? [{ kind: 'file', name: 'a.txt', content: Buffer.from('x') }] : [],
    }));
    const unread = await listAll(`/users/${U}/mailFolders/inbox/messages?$filter=isRead eq false`);
    assert.deepEqual(
      unread.map((m) => m.subject),
      ['m9', 'm7', 'm5', 'm3', 'm1'],
    );
    const withAtt = await listAll(`/users/${U}/mailFolders/inbox/messages?$filter=hasAttachments eq true`);
    assert.deepEqual(
      withAtt.map((m) => m.subject),
      ['m3'],
    );
    const range = await listAll(
      `/users/${U}/mailFolders/inbox/messages?$filter=${encodeURIComponent('receivedDateTime ge 2024-03-01T05:00:00Z and receivedDateTime lt 2024-03-01T08:00:00Z and isRead eq true')}`,
    );
    assert.deepEqual(
      range.map((m) => m.subject),
      ['m6'],
    );
    const bad = await graph.get(`/users/${U}/messages`, { params: { $filter: 'isRead eq' } });
    assert.equal(bad.status, 400);
    const unknown = await graph.get(`/users/${U}/messages`, { params: { $filter: 'nosuch eq 1' } });
    assert.equal(unknown.status, 400);
    const quotedDate = await graph.get(`/users/${U}/messages`, {
      params: { $filter: "receivedDateTime ge '2024-01-01'" },
    });
    assert.equal(quotedDate.status, 400);
    const fn = await graph.get(`/users/${U}/messages`, { params: { $filter: "contains(subject,'m')" } });
    assert.equal(fn.status, 400);
    assert.equal(errorCode(fn), 'ErrorInvalidUrlQueryFilter');
  });

  it('orders by receivedDateTime asc, and wants the ordered property first in $filter (InefficientFilter)', async () => {
    sim.seedMessages(USER, 'inbox', 5);
    const asc = await listAll(`/users/${U}/mailFolders/inbox/messages?$orderby=receivedDateTime asc`);
    assert.deepEqual(
      asc.map((m) => m.subject),
      ['Test mail 1', 'Test mail 2', 'Test mail 3', 'Test mail 4', 'Test mail 5'],
    );
    const wrong = await graph.get(`/users/${U}/mailFolders/inbox/messages`, {
      params: { $filter: 'isRead eq false', $orderby: 'receivedDateTime desc' },
    });
    assert.equal(wrong.status, 400);
    assert.equal(errorCode(wrong), 'InefficientFilter');
    assert.equal(
      wrong.data.error.message,
      'The restriction or sort order is too complex for this operation.',
    );
    const right = await graph.get(`/users/${U}/mailFolders/inbox/messages`, {
      params: {
        $filter: 'receivedDateTime ge 2000-01-01T00:00:00Z and isRead eq false',
        $orderby: 'receivedDateTime asc',
      },
    });
    assert.equal(right.status, 200);
    assert.equal(right.data.value[0].subject, 'Test mail 1');
  });

  it('searches free text and KQL subject:/from:, and refuses $search with $filter', async () => {
    sim.addMessage(USER, 'inbox', {
      subject: 'Quarterly report',
      from: 'boss@contoso.example',
      body: 'numbers inside',
    });
    sim.addMessage(USER, 'inbox', { subject: 'Lunch', from: 'friend@fabrikam.example', body: 'pizza?' });
    const free = await listAll(`/users/${U}/messages?$search=${encodeURIComponent('"pizza"')}`);
    assert.deepEqual(
      free.map((m) => m.subject),
      ['Lunch'],
    );
    const subject = await listAll(
      `/users/${U}/messages?$search=${encodeURIComponent('"subject:quarterly"')}`,
    );
    assert.deepEqual(
      subject.map((m) => m.subject),
      ['Quarterly report'],
    );
    const from = await listAll(
      `/users/${U}/messages?$search=${encodeURIComponent('"from:fabrikam.example"')}`,
    );
    assert.deepEqual(
      from.map((m) => m.subject),
      ['Lunch'],
    );
    const both = await graph.get(`/users/${U}/messages`, {
      params: { $search: '"x"', $filter: 'isRead eq false' },
    });
    assert.equal(both.status, 400);
  });

  it('$select returns only the asked properties plus id and @odata.etag; headers only when selected', async () => {
    sim.addMessage(USER, 'inbox', { subject: 'S', headers: { 'X-Custom': 'yes' } });
    const res = await graph.get(`/users/${U}/messages?$select=subject,internetMessageHeaders`);
    const [m] = res.data.value;
    assert.deepEqual(Object.keys(m).sort(), ['@odata.etag', 'id', 'internetMessageHeaders', 'subject']);
    assert.ok(
      m.internetMessageHeaders.some(
        (h: { name: string; value: string }) => h.name === 'X-Custom' && h.value === 'yes',
      ),
    );
    const full = await graph.get(`/users/${U}/messages`);
    assert.equal(full.data.value[0].internetMessageHeaders, undefined, 'not returned without $select');
    assert.ok(full.data.value[0].body);
    const bad = await graph.get(`/users/${U}/messages?$select=subject,bogus`);
    assert.equal(bad.status, 400);
  });

  it('converts bodies for Prefer outlook.body-content-type and says Preference-Applied', async () => {
    const id = sim.addMessage(USER, 'inbox', {
      body: '<html><body><p>Hello <b>you</b> &amp; me</p></body></html>',
      bodyType: 'html',
    });
    const text = await graph.get(msgPath(id), { headers: { Prefer: 'outlook.body-content-type="text"' } });
    assert.equal(text.data.body.contentType, 'text');
    assert.equal(text.data.body.content, 'Hello you & me');
    assert.equal(text.headers['preference-applied'], 'outlook.body-content-type="text"');
    const tid = sim.addMessage(USER, 'inbox', { body: 'a < b\nline 2', bodyType: 'text' });
    const html = await graph.get(msgPath(tid), { headers: { Prefer: 'outlook.body-content-type="html"' } });
    assert.equal(html.data.body.contentType, 'html');
    assert.match(html.data.body.content, /a &lt; b<br>/);
  });

  it('gets, patches and deletes a message; the store reflects each change', async () => {
    const id = sim.addMessage(USER, 'inbox', { subject: 'Patch me' });
    const got = await graph.get(msgPath(id));
    assert.equal(got.status, 200);
    assert.equal(got.data.subject, 'Patch me');
    assert.equal(got.data.parentFolderId, sim.folderId(USER, 'inbox'));
    const etag = got.data['@odata.etag'];
    const patched = await graph.patch(msgPath(id), { isRead: true, categories: ['Done'] });
    assert.equal(patched.status, 200);
    assert.equal(patched.data.isRead, true);
    assert.notEqual(patched.data['@odata.etag'], etag);
    assert.equal(sim.getMessage(USER, id)?.isRead, true);
    const inFolder = await graph.get(
      `/users/${U}/mailFolders/inbox/messages/${encodeURIComponent(id)}?$select=isRead`,
    );
    assert.equal(inFolder.data.isRead, true);
    const subject = await graph.patch(msgPath(id), { subject: 'changed' });
    assert.equal(subject.status, 400, 'received mail only takes flag-like updates');
    const strict = await graph.patch(msgPath(id), { isRead: true, unknownProperty: 1 });
    assert.equal(strict.status, 400);
    assert.equal(errorCode(strict), 'RequestBodyRead');
    assert.equal(sim.schemaViolations.filter((v) => v.direction === 'request').length, 1);
    const wrongType = await graph.patch(msgPath(id), { isRead: 'yes' });
    assert.equal(wrongType.status, 400);
    const del = await graph.delete(msgPath(id));
    assert.equal(del.status, 204);
    assert.equal(sim.getMessage(USER, id), undefined);
    const again = await graph.delete(msgPath(id));
    assert.equal(again.status, 404);
    assert.equal(errorCode(again), 'ErrorItemNotFound');
    assert.equal(again.data.error.message, 'The specified object was not found in the store.');
    assert.ok(again.headers['request-id']);
    assert.deepEqual(
      sim.schemaViolations.filter((v) => v.direction === 'response'),
      [],
    );
  });

  it('moves a message to a new id; of two concurrent moves exactly one wins', async () => {
    const id = sim.addMessage(USER, 'inbox', { subject: 'Move me' });
    const results = await Promise.all([
      graph.post(msgPath(id, '/move'), { destinationId: 'archive' }),
      graph.post(msgPath(id, '/move'), { destinationId: 'deleteditems' }),
    ]);
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [201, 404]);
    const winner = results.find((r) => r.status === 201);
    assert.notEqual(winner?.data.id, id);
    assert.equal(sim.messages(USER, 'inbox').length, 0);
    const moved = [...sim.messages(USER, 'archive'), ...sim.messages(USER, 'deleteditems')];
    assert.equal(moved.length, 1);
    assert.equal(moved[0].id, winner?.data.id);
    const folderId = sim.addFolder(USER, 'inbox', 'Done');
    const byId = await graph.post(msgPath(moved[0].id, '/move'), { DestinationId: folderId });
    assert.equal(byId.status, 201);
    assert.equal(sim.messages(USER, 'Inbox/Done').length, 1);
    const badBody = await graph.post(msgPath(byId.data.id, '/move'), { destination: 'archive' });
    assert.equal(badBody.status, 400);
  });

  it('answers Graph errors for unknown, inactive and policy-denied mailboxes, malformed ids and unknown routes', async () => {
    const unknown = await graph.get('/users/nobody%40contoso.example/messages');
    assert.equal(unknown.status, 404);
    assert.equal(errorCode(unknown), 'ErrorInvalidUser');
    assert.equal(unknown.data.error.message, "The requested user 'nobody@contoso.example' is invalid.");
    const inactive = await graph.get('/users/gone%40contoso.example/messages');
    assert.equal(errorCode(inactive), 'MailboxNotEnabledForRESTAPI');
    const denied = await graph.get('/users/secret%40contoso.example/messages');
    assert.equal(denied.status, 403);
    assert.match(denied.data.error.message, /Blocked by tenant configured AppOnly AccessPolicy settings/);
    const byId = await graph.get(`/users/${sim.userId(USER)}/mailFolders/inbox`);
    assert.equal(byId.status, 200, 'the user id works in paths');
    const upper = await graph.get(`/users/${encodeURIComponent(USER.toUpperCase())}/mailFolders/Inbox`);
    assert.equal(upper.status, 200, 'addresses and well-known names are case-insensitive');
    const malformed = await graph.get(msgPath('not-an-id'));
    assert.equal(errorCode(malformed), 'ErrorInvalidIdMalformed');
    const route = await graph.get(`/users/${U}/calendars`);
    assert.equal(route.status, 400);
    assert.equal(errorCode(route), 'BadRequest');
    const me = await graph.get('/me/messages');
    assert.equal(me.status, 400);
    const record = sim.requests.find((r) => r.rawPath.includes('gone%40contoso.example'));
    assert.equal(record?.status, 404);
    assert.equal(record?.headers.authorization, undefined, 'authorization is never logged');
  });

  it('enforces roles: reads need Mail.Read(Write), writes Mail.ReadWrite, send Mail.Send', async () => {
    const id = sim.addMessage(USER, 'inbox');
    sim.setRoles(DEFAULT_APP.clientId, ['Mail.Read']);
    assert.equal((await graph.get(msgPath(id))).status, 200);
    const patch = await graph.patch(msgPath(id), { isRead: true });
    assert.equal(patch.status, 403);
    assert.equal(patch.data.error.message, 'Access is denied. Check credentials and try again.');
    const send = await graph.post(`/users/${U}/sendMail`, {
      message: { toRecipients: [{ emailAddress: { address: USER } }] },
    });
    assert.equal(send.status, 403);
    sim.setRoles(DEFAULT_APP.clientId, ['Mail.ReadBasic.All']);
    const basic = await graph.get(msgPath(id));
    assert.equal(basic.status, 200);
    assert.equal(basic.data.body, undefined, 'ReadBasic gets no body');
    assert.equal((await graph.get(msgPath(id, '/$value'))).status, 403);
    sim.setRoles(DEFAULT_APP.clientId, ['Mail.Send']);
    assert.equal((await graph.get(msgPath(id))).status, 403);
  });

  it('lists 12,000 messages through pages of 1000', async function () {
    this.timeout(60000);
    sim.seedMessages(USER, 'inbox', 12000);
    const all = await listAll(`/users/${U}/mailFolders/inbox/messages?$top=1000&$select=subject`);
    assert.equal(all.length, 12000);
    const unread = await graph.get(
      `/users/${U}/mailFolders/inbox/messages?$filter=isRead eq false&$top=1000&$skip=11000&$select=id`,
    );
    assert.equal(unread.data.value.length, 1000);
    assert.equal(unread.data['@odata.nextLink'], undefined);
  });
});
