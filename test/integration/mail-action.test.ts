/**
 * o365-mail-action in the real Node-RED runtime against the simulator: every operation, the mail found again by its
 * internetMessageId after a move, msg.operation, the errors a Catch node sees (missing mail, folder, permission,
 * unknown operation: nothing changed), bursts coalesced into $batch, and get as mail in gives a mail. The simulator
 * checks every request body against Graph's schemas.
 */
import assert from 'node:assert/strict';
import { startSimulator, type Simulator } from '../simulator';
import { MailActionHarness, MAILBOX, type Msg } from './mail-action-harness';
import { helper } from './setup';

describe('o365-mail-action (integration)', function () {
  this.timeout(30_000);
  let sim: Simulator;

  before(async () => {
    sim = await startSimulator({ mailboxes: [MAILBOX] });
    sim.addFolder(MAILBOX, 'inbox', 'Processed');
  });
  after(async () => {
    await sim?.stop();
  });
  beforeEach(async () => {
    sim.clearFaults();
    sim.resetCounters();
    sim.setRoles(sim.app.clientId, ['Mail.ReadWrite', 'Mail.Send']);
    await helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
    assert.deepEqual(sim.schemaViolations, [], 'every request body matched Graph schema');
  });

  /** A message as mail in would send it on for a new mail in the inbox. */
  function mailFor(seed: Parameters<Simulator['addMessage']>[2] = {}): Msg {
    const id = sim.addMessage(MAILBOX, 'inbox', seed);
    const stored = sim.getMessage(MAILBOX, id);
    return {
      payload: 'body',
      topic: seed.subject ?? 'Test mail',
      o365: { id, internetMessageId: stored?.internetMessageId, mailbox: MAILBOX, folder: 'inbox' },
    };
  }
  const idOf = (msg: Msg): string => String(msg.o365?.id);
  const stored = (msg: Msg) => sim.getMessage(MAILBOX, idOf(msg));

  describe('operations', () => {
    it('markRead marks the mail read and passes the message on with msg.o365 updated', async () => {
      const node = await MailActionHarness.load(sim);
      const msg = mailFor();
      const out = await node.output(msg);
      assert.equal(stored(msg)?.isRead, true);
      assert.equal(out.payload, 'body', 'the output is the input message');
      assert.equal(out.o365?.id, idOf(msg));
      assert.equal(out.o365?.isRead, true);
      assert.equal(out.o365?.operation, 'markRead');
      assert.equal(out.o365?.mailbox, MAILBOX);
      assert.equal(sim.counters.byOperation.patchMessage, 1);
    });

    it('markUnread marks it unread', async () => {
      const node = await MailActionHarness.load(sim, { operation: 'markUnread' });
      const msg = mailFor({ isRead: true });
      const out = await node.output(msg);
      assert.equal(stored(msg)?.isRead, false);
      assert.equal(out.o365?.isRead, false);
    });

    it('move files the mail in a folder given as a path; msg.o365.id is its new id', async () => {
      const node = await MailActionHarness.load(sim, { operation: 'move', target: 'Inbox/Processed' });
      const msg = mailFor({ subject: 'Order 1' });
      const out = await node.output(msg);
      const processed = sim.messages(MAILBOX, 'Inbox/Processed');
      assert.deepEqual(
        processed.map((m) => m.id),
        [out.o365?.id],
      );
      assert.notEqual(out.o365?.id, idOf(msg));
      assert.equal(out.o365?.previousId, idOf(msg));
      assert.equal(out.o365?.folder, 'Inbox/Processed');
      assert.equal(sim.getMessage(MAILBOX, idOf(msg)), undefined);
    });

    it('copy leaves the mail in place; msg.o365.id is the copy', async () => {
      const node = await MailActionHarness.load(sim, { operation: 'copy', target: 'archive' });
      const msg = mailFor({ subject: 'Keep a copy' });
      const out = await node.output(msg);
      assert.ok(stored(msg), 'the original stays');
      const archived = sim.messages(MAILBOX, 'archive').find((m) => m.id === out.o365?.id);
      assert.equal(archived?.subject, 'Keep a copy');
      assert.equal(out.o365?.previousId, idOf(msg));
    });

    it('delete deletes the mail', async () => {
      const node = await MailActionHarness.load(sim, { operation: 'delete' });
      const msg = mailFor();
      const out = await node.output(msg);
      assert.equal(stored(msg), undefined);
      assert.equal(out.o365?.deleted, true);
    });

    it('flag, complete and unflag set the follow-up flag', async () => {
      const msg = mailFor();
      for (const [operation, status] of [
        ['flag', 'flagged'],
        ['complete', 'complete'],
        ['unflag', 'notFlagged'],
      ]) {
        const node = await MailActionHarness.load(sim, { operation });
        const out = await node.output(msg);
        assert.equal(stored(msg)?.flag.flagStatus, status, operation);
        assert.equal(out.o365?.flagStatus, status);
        await helper.unload();
      }
    });

    it('categorize adds, removes and sets categories (target text or a list from msg)', async () => {
      const msg = mailFor();
      let node = await MailActionHarness.load(sim, { operation: 'categorize', target: 'Orders, Urgent' });
      await node.output(msg);
      assert.deepEqual(stored(msg)?.categories, ['Orders', 'Urgent']);
      await node.output({ ...msg, _again: true });
      assert.deepEqual(stored(msg)?.categories, ['Orders', 'Urgent'], 'adding twice adds once');
      await helper.unload();
      node = await MailActionHarness.load(sim, {
        operation: 'categorize',
        categoryMode: 'remove',
        target: 'urgent',
      });
      const removed = await node.output(msg);
      assert.deepEqual(stored(msg)?.categories, ['Orders'], 'names match without regard to case');
      assert.deepEqual(removed.o365?.categories, ['Orders']);
      await helper.unload();
      node = await MailActionHarness.load(sim, {
        operation: 'categorize',
        categoryMode: 'set',
        target: 'labels',
        targetType: 'msg',
      });
      await node.output({ ...msg, labels: ['Done'] });
      assert.deepEqual(stored(msg)?.categories, ['Done']);
      await node.output({ ...msg, labels: [] });
      assert.deepEqual(stored(msg)?.categories, [], 'an empty list with set clears them');
    });

    it('get gives the mail as mail in does: body, headers, attachments as Buffers', async () => {
      const node = await MailActionHarness.load(sim, { operation: 'get' });
      const msg = mailFor({
        subject: 'Report',
        from: 'boss@contoso.example',
        body: '<p>See <b>attached</b></p>',
        attachments: [
          { kind: 'file', name: 'a.csv', contentType: 'text/csv', content: Buffer.from('x,y\n1,2\n') },
        ],
      });
      const out = await node.output({ ...msg, html: 'stale', keep: 'me' });
      assert.equal(out.topic, 'Report');
      assert.equal(out.from, 'boss@contoso.example');
      assert.equal(out.payload, 'See attached');
      assert.equal(out.html, undefined, 'text format: no msg.html, not even a stale one');
      assert.equal(out.keep, 'me', 'other message properties stay');
      const attachments = out.attachments as { filename: string; content: Buffer }[];
      assert.equal(attachments[0].filename, 'a.csv');
      assert.equal(attachments[0].content.toString(), 'x,y\n1,2\n');
      assert.ok(out.date instanceof Date);
      assert.equal(out.o365?.id, idOf(msg));
      assert.equal(out.o365?.folder, 'inbox');
      assert.equal(out.o365?.conversationId, stored(msg)?.conversationId);
    });

    it('get with body format html and output mime, and getMime, give what mail in gives', async () => {
      const msg = mailFor({ subject: 'Styled', body: '<p>Hi</p>' });
      let node = await MailActionHarness.load(sim, { operation: 'get', bodyFormat: 'html' });
      const html = await node.output(msg);
      assert.match(String(html.html), /<p>Hi<\/p>/);
      assert.equal(html.payload, html.html);
      await helper.unload();
      node = await MailActionHarness.load(sim, { operation: 'get', output: 'mime' });
      const mime = await node.output(msg);
      assert.ok(Buffer.isBuffer(mime.payload));
      assert.match((mime.payload as Buffer).toString(), /^[\s\S]*Subject: Styled\r\n/);
      assert.equal(mime.topic, 'Styled');
      await helper.unload();
      node = await MailActionHarness.load(sim, { operation: 'getMime' });
      const eml = await node.output(msg);
      assert.ok(Buffer.isBuffer(eml.payload));
      assert.match((eml.payload as Buffer).toString(), /Subject: Styled\r\n/);
      assert.equal(eml.topic, 'Styled', 'getMime changes msg.payload only');
    });

    it('get with attachments off gives no attachment contents, and asks Graph for none', async () => {
      const node = await MailActionHarness.load(sim, { operation: 'get', attachments: false });
      const msg = mailFor({
        subject: 'No files please',
        attachments: [
          {
            kind: 'file',
            name: 'a.bin',
            contentType: 'application/octet-stream',
            content: Buffer.alloc(300_000, 1),
          },
        ],
      });
      sim.resetCounters();
      const out = await node.output(msg);
      assert.equal(out.topic, 'No files please');
      const attachments = (out.attachments ?? []) as { content?: Buffer }[];
      assert.ok(
        attachments.every((a) => a.content === undefined),
        'no content delivered',
      );
      assert.equal(sim.counters.byOperation.getAttachment ?? 0, 0);
      assert.equal(sim.counters.byOperation.listAttachments ?? 0, 0);
      assert.equal(sim.counters.byOperation.getAttachmentValue ?? 0, 0);
      assert.ok(
        sim.counters.bytesOut < 100_000,
        `${sim.counters.bytesOut} bytes from Graph: the 300 kB file was not read`,
      );
    });
  });

  describe('which mail, which operation', () => {
    it('finds a mail that moved by its internetMessageId and acts on it there', async () => {
      const node = await MailActionHarness.load(sim, { operation: 'flag' });
      const msg = mailFor();
      const movedId = sim.moveMessage(MAILBOX, idOf(msg), 'archive');
      const out = await node.output(msg);
      assert.equal(out.o365?.id, movedId);
      assert.equal(out.o365?.foundByInternetMessageId, true);
      assert.equal(sim.getMessage(MAILBOX, movedId)?.flag.flagStatus, 'flagged');
    });

    it('acts on a mailbox and mail given by the fields rather than by msg.o365', async () => {
      const node = await MailActionHarness.load(sim, { username: MAILBOX });
      const msg = mailFor();
      await node.output({ o365: { id: idOf(msg) } });
      assert.equal(stored(msg)?.isRead, true);
    });

    it('msg.operation overrides the node operation; an unknown one is refused and nothing changes', async () => {
      const node = await MailActionHarness.load(sim, { operation: 'markRead' });
      const msg = mailFor();
      await node.output({ ...msg, operation: 'flag' });
      assert.equal(stored(msg)?.flag.flagStatus, 'flagged');
      assert.equal(stored(msg)?.isRead, false, 'only the operation the message named');
      sim.resetCounters();
      const refused = await node.fails({ ...msg, operation: 'archive' });
      assert.equal(refused.code, 'UnknownOperation');
      assert.match(refused.message, /msg\.operation "archive" is not an operation/);
      assert.equal(refused.msg.payload, 'body', 'the Catch node gets the input message');
      assert.equal(sim.counters.graphRequests, 0, 'nothing was asked of Graph');
    });
  });

  describe('errors through done(err): a Catch node sees them with the input message', () => {
    it('a mail that is gone (id and internetMessageId) is MailNotFound', async () => {
      const node = await MailActionHarness.load(sim, { operation: 'move', target: 'archive' });
      const msg = mailFor();
      sim.resetCounters();
      await node.output({ o365: { id: idOf(msg), mailbox: MAILBOX }, operation: 'delete' });
      const gone = await node.fails(msg);
      assert.equal(gone.code, 'MailNotFound');
      assert.match(gone.message, /not done: no mail in the mailbox has internetMessageId/);
      assert.equal(gone.msg.topic, 'Test mail');
    });

    it('a destination folder that does not exist is FolderNotFound, and the mail stays', async () => {
      const node = await MailActionHarness.load(sim, { operation: 'move', target: 'Inbox/Nowhere' });
      const msg = mailFor();
      const missing = await node.fails(msg);
      assert.equal(missing.code, 'FolderNotFound');
      assert.match(missing.message, /Nowhere/);
      assert.equal(missing.msg.o365?.id, idOf(msg), 'the Catch node gets the input message');
      assert.ok(stored(msg), 'the mail was not moved');
    });

    it('a missing permission is PermissionMissing, naming Mail.ReadWrite', async () => {
      sim.setRoles(sim.app.clientId, ['Mail.Read']);
      const node = await MailActionHarness.load(sim);
      const msg = mailFor();
      const denied = await node.fails(msg);
      assert.equal(denied.code, 'PermissionMissing');
      assert.match(denied.message, /Mail\.ReadWrite/);
      assert.equal(denied.msg.topic, 'Test mail', 'the Catch node gets the input message');
      assert.equal(stored(msg)?.isRead, false);
      assert.equal(node.statuses.at(-1)?.fill, 'red');
    });

    it('a message without a mail or a mailbox is BadInput', async () => {
      const node = await MailActionHarness.load(sim);
      assert.equal((await node.fails({ payload: 'x' })).code, 'BadInput');
      assert.equal((await node.fails({ o365: { id: 'AAMk' } })).code, 'BadInput', 'no mailbox');
    });
  });

  describe('bursts', () => {
    it('coalesces 60 actions arriving together into $batch requests of up to 20', async () => {
      const node = await MailActionHarness.load(sim);
      const msgs = Array.from({ length: 60 }, () => mailFor());
      sim.resetCounters();
      const ids = msgs.map((m) => node.input(m));
      const outcomes = await Promise.all(ids.map((id) => node.outcome(id)));
      assert.ok(outcomes.every((o) => o.kind === 'output'));
      assert.ok(msgs.every((m) => stored(m)?.isRead === true));
      assert.equal(sim.counters.byOperation.patchMessage, 60);
      assert.ok(sim.counters.batchRequests >= 3, `${sim.counters.batchRequests} batches`);
      assert.ok(sim.counters.graphRequests <= 6, `${sim.counters.graphRequests} round trips for 60 actions`);
      assert.equal(sim.counters.throttled, 0);
    });

    it('a lone message goes out at once as a plain request', async () => {
      const node = await MailActionHarness.load(sim);
      const msg = mailFor();
      sim.resetCounters();
      await node.output(msg);
      assert.equal(sim.counters.batchRequests, 0);
      assert.equal(sim.counters.graphRequests, 1);
      assert.deepEqual(node.statuses.at(-1), { fill: 'green', shape: 'dot', text: '1 done' });
    });
  });
});
