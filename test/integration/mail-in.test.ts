/**
 * o365-mail-in in the real Node-RED runtime against the simulator: the message shape, each action, folders, MIME,
 * attachments, poison mails and the editor's cron check.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import type { Simulator } from '../simulator';
import { loadOne, MAILBOX, pollUntilQuiet } from './mail-in-harness';
import { helper, nodeRedSuite, waitFor } from './setup';

describe('o365-mail-in', function () {
  this.timeout(30_000);
  let sim: Simulator;

  nodeRedSuite(
    {
      simulator: { mailboxes: [MAILBOX, 'colleague@contoso.example'] },
      freshSimulator: true,
      checkSchemas: true,
    },
    (s) => (sim = s),
  );

  describe('the message', () => {
    it('carries every SPEC field', async () => {
      const received = '2026-03-04T10:20:30Z';
      const id = sim.addMessage(MAILBOX, 'inbox', {
        subject: 'Order 42',
        from: { name: 'Alice', address: 'alice@fabrikam.example' },
        to: ['user@contoso.example', 'bob@contoso.example'],
        cc: ['carol@contoso.example'],
        bcc: ['dave@contoso.example'],
        replyTo: ['orders@fabrikam.example'],
        body: 'Please ship order 42.',
        importance: 'high',
        receivedDateTime: received,
        headers: { 'X-Order': '42' },
        internetMessageId: '<order42@fabrikam.example>',
      });
      const node = await loadOne(sim);
      await node.poll();
      assert.equal(node.messages.length, 1);
      const msg = node.messages[0];
      assert.equal(msg.payload, 'Please ship order 42.');
      assert.equal(msg.html, undefined);
      assert.equal(msg.topic, 'Order 42');
      assert.equal(msg.from, 'alice@fabrikam.example');
      assert.equal(msg.to, 'user@contoso.example, bob@contoso.example');
      assert.equal(msg.cc, 'carol@contoso.example');
      assert.equal(msg.bcc, 'dave@contoso.example');
      assert.ok(msg.date instanceof Date);
      assert.equal((msg.date as Date).toISOString(), '2026-03-04T10:20:30.000Z');
      const header = msg.header as Record<string, string>;
      assert.equal(header['X-Order'], '42');
      assert.equal(header['Message-ID'], '<order42@fabrikam.example>');
      assert.deepEqual(msg.attachments, []);
      const stored = sim.getMessage(MAILBOX, id);
      assert.ok(stored);
      assert.deepEqual(msg.o365, {
        id,
        internetMessageId: '<order42@fabrikam.example>',
        conversationId: stored.conversationId,
        webLink: stored.webLink,
        mailbox: MAILBOX,
        folder: 'inbox',
        importance: 'high',
        hasAttachments: false,
        receivedDateTime: stored.receivedDateTime,
        replyTo: 'orders@fabrikam.example',
      });
    });

    it('gives the HTML body in msg.payload and msg.html with bodyFormat html', async () => {
      sim.addMessage(MAILBOX, 'inbox', {
        subject: 'html',
        body: '<p>Hello <b>world</b></p>',
        bodyType: 'html',
      });
      const node = await loadOne(sim, { bodyFormat: 'html' });
      await node.poll();
      const msg = node.messages[0];
      assert.match(String(msg.html), /<b>world<\/b>/);
      assert.equal(msg.payload, msg.html);
      const list = sim.requests.find((r) => r.operation === 'listMessages');
      assert.equal(list?.headers.prefer, 'outlook.body-content-type="html"');
    });

    it('gives a plain-text body for HTML mail with bodyFormat text', async () => {
      sim.addMessage(MAILBOX, 'inbox', { body: '<p>Hello <b>world</b></p>', bodyType: 'html' });
      const node = await loadOne(sim);
      await node.poll();
      assert.doesNotMatch(String(node.messages[0].payload), /<b>/);
      assert.match(String(node.messages[0].payload), /Hello world/);
    });

    it('asks only for the fields the message needs, with the attachments in the same request', async () => {
      sim.seedMessages(MAILBOX, 'inbox', 3);
      const node = await loadOne(sim);
      await node.poll();
      const list = sim.requests.find((r) => r.operation === 'listMessages');
      assert.ok(list);
      assert.ok(list.query.$select.split(',').includes('internetMessageHeaders'));
      assert.equal(list.query.$expand, 'attachments');
      assert.equal(sim.counters.byOperation.getMessage, 0, 'no GET per mail');
      assert.equal(sim.counters.byOperation.listAttachments, 0, 'no attachment listing per mail');
    });
  });

  describe('attachments', () => {
    it('delivers file, inline, item and reference attachments with exact bytes', async () => {
      const pdf = randomBytes(70_000);
      const png = randomBytes(3_000);
      sim.addMessage(MAILBOX, 'inbox', {
        subject: 'with attachments',
        body: '<p>see <img src="cid:logo@x"></p>',
        attachments: [
          { kind: 'file', name: 'report.pdf', contentType: 'application/pdf', content: pdf },
          {
            kind: 'file',
            name: 'logo.png',
            contentType: 'image/png',
            content: png,
            isInline: true,
            contentId: 'logo@x',
          },
          { kind: 'item', name: 'Forwarded', message: { subject: 'inner mail', body: 'inner body' } },
          { kind: 'reference', name: 'spec.docx', sourceUrl: 'https://contoso.sharepoint.com/spec.docx' },
        ],
      });
      const node = await loadOne(sim);
      await node.poll();
      const attachments = node.messages[0].attachments as {
        filename: string;
        contentType: string;
        size: number;
        content?: Buffer;
        contentId?: string;
        isInline: boolean;
        url?: string;
      }[];
      assert.equal(attachments.length, 4);
      const [file, inline, item, reference] = attachments;
      assert.equal(file.filename, 'report.pdf');
      assert.equal(file.contentType, 'application/pdf');
      assert.ok(file.content?.equals(pdf));
      assert.equal(file.size, pdf.length);
      assert.equal(inline.isInline, true);
      assert.equal(inline.contentId, 'logo@x');
      assert.ok(inline.content?.equals(png));
      assert.match(item.filename, /\.eml$/);
      assert.ok(Buffer.isBuffer(item.content));
      assert.match(String(item.content), /Subject: inner mail/);
      // Graph v1.0 gives a reference attachment's name but neither its bytes nor (unlike beta) its link.
      assert.equal(reference.filename, 'spec.docx');
      assert.equal((reference as { kind?: string }).kind, 'reference');
      assert.equal(reference.content, undefined);
    });

    it('delivers a mail whose only attachment is inline, though Graph says hasAttachments false', async () => {
      const png = randomBytes(1_000);
      sim.addMessage(MAILBOX, 'inbox', {
        body: '<img src="cid:a@b">',
        attachments: [{ kind: 'file', name: 'a.png', content: png, isInline: true, contentId: 'a@b' }],
      });
      const node = await loadOne(sim);
      await node.poll();
      const msg = node.messages[0];
      const attachments = msg.attachments as { content: Buffer }[];
      assert.equal(attachments.length, 1);
      assert.ok(attachments[0].content.equals(png));
      assert.equal(msg.o365.hasAttachments, true);
    });

    it('does not fetch attachments when attachments is false', async () => {
      sim.addMessage(MAILBOX, 'inbox', {
        attachments: [{ kind: 'file', name: 'a.bin', content: randomBytes(100) }],
      });
      const node = await loadOne(sim, { attachments: false });
      await node.poll();
      assert.deepEqual(node.messages[0].attachments, []);
      assert.equal(sim.requests.find((r) => r.operation === 'listMessages')?.query.$expand, undefined);
    });
  });

  describe('output mime', () => {
    it('gives the whole mail as a Buffer and still sets topic, from and o365', async () => {
      const content = randomBytes(2_000);
      sim.addMessage(MAILBOX, 'inbox', {
        subject: 'raw',
        attachments: [{ kind: 'file', name: 'x.bin', content }],
      });
      const node = await loadOne(sim, { output: 'mime' });
      await node.poll();
      const msg = node.messages[0];
      assert.ok(Buffer.isBuffer(msg.payload));
      const eml = (msg.payload as Buffer).toString('latin1');
      assert.match(eml, /Subject: raw/);
      assert.ok(eml.replace(/\r?\n/g, '').includes(content.toString('base64')));
      assert.equal(msg.topic, 'raw');
      assert.equal(msg.from, 'sender@contoso.example');
      assert.ok(msg.o365.id);
    });
  });

  describe('actions', () => {
    it('read: marks each delivered mail read', async () => {
      sim.seedMessages(MAILBOX, 'inbox', 3);
      const node = await loadOne(sim, { action: 'read' });
      await node.poll();
      assert.equal(node.messages.length, 3);
      assert.ok(sim.messages(MAILBOX, 'inbox').every((m) => m.isRead));
      await node.poll();
      assert.equal(node.messages.length, 3, 'read mail is not delivered again');
    });

    it('delete: deletes each delivered mail', async () => {
      sim.seedMessages(MAILBOX, 'inbox', 3);
      const node = await loadOne(sim, { action: 'delete' });
      await node.poll();
      assert.equal(node.messages.length, 3);
      assert.equal(sim.messages(MAILBOX, 'inbox').length, 0);
    });

    it('move: moves each delivered mail to a folder given as a path', async () => {
      sim.addFolder(MAILBOX, 'inbox', 'Done');
      sim.seedMessages(MAILBOX, 'inbox', 3);
      const node = await loadOne(sim, { action: 'move', moveTo: 'Inbox/Done' });
      await node.poll();
      assert.equal(node.messages.length, 3);
      assert.equal(sim.messages(MAILBOX, 'inbox').length, 0);
      const moved = sim.messages(MAILBOX, 'Inbox/Done');
      assert.deepEqual(moved.map((m) => m.subject).sort(), node.messages.map((m) => m.topic).sort());
    });

    it('move without a destination is a clear configuration error', async () => {
      const node = await loadOne(sim, { action: 'move', moveTo: '' });
      node.trigger();
      await waitFor(() => node.errors.length > 0, 5000, 'an error');
      assert.match(node.errors[0].message, /move.*destination folder/i);
      assert.equal(sim.counters.operations, 0, 'nothing is asked of Graph');
    });

    it('none: leaves mail as it is and delivers each mail once', async () => {
      sim.seedMessages(MAILBOX, 'inbox', 3);
      const node = await loadOne(sim, { action: 'none' });
      await node.poll();
      assert.equal(node.messages.length, 3);
      assert.ok(sim.messages(MAILBOX, 'inbox').every((m) => !m.isRead));
      await node.poll();
      assert.equal(node.messages.length, 3, 'nothing is delivered twice');
      sim.addMessage(MAILBOX, 'inbox', { subject: 'late' });
      await node.poll();
      assert.deepEqual(
        node.messages.slice(3).map((m) => m.topic),
        ['late'],
      );
    });

    it('acknowledges several mails in $batch requests of up to 20', async () => {
      sim.seedMessages(MAILBOX, 'inbox', 45);
      const node = await loadOne(sim, { maxMessages: 0 });
      await node.poll();
      assert.equal(node.messages.length, 45);
      assert.equal(sim.counters.byOperation.batch, 3);
      assert.equal(sim.counters.byOperation.patchMessage, 45);
    });
  });

  describe('folders', () => {
    it('polls a folder given as a path', async () => {
      sim.addFolder(MAILBOX, 'inbox', 'Orders');
      sim.addFolder(MAILBOX, 'Inbox/Orders', '2026');
      sim.seedMessages(MAILBOX, 'Inbox/Orders/2026', 2, (i) => ({ subject: `order ${i}` }));
      sim.seedMessages(MAILBOX, 'inbox', 1, () => ({ subject: 'elsewhere' }));
      const node = await loadOne(sim, { folder: 'Inbox/Orders/2026' });
      await node.poll();
      assert.deepEqual(
        node.messages.map((m) => m.topic),
        ['order 0', 'order 1'],
      );
      assert.equal(node.messages[0].o365.folder, 'Inbox/Orders/2026');
    });

    it('polls a folder given by id', async () => {
      const id = sim.addFolder(MAILBOX, 'inbox', 'Orders');
      sim.seedMessages(MAILBOX, 'Inbox/Orders', 2);
      const node = await loadOne(sim, { folder: id });
      await node.poll();
      assert.equal(node.messages.length, 2);
    });

    it('names the missing segment of an unknown folder path', async () => {
      sim.addFolder(MAILBOX, 'inbox', 'Orders');
      const node = await loadOne(sim, { folder: 'Inbox/Orders/Missing' });
      await node.poll();
      assert.equal(node.lastStatus?.fill, 'red');
      assert.deepEqual(
        node.errors.map((e) => e.message),
        ["folder 'Missing' not found in 'Inbox/Orders/Missing'"],
      );
    });
  });

  describe('filter and search', () => {
    it('sends the filter as $filter and delivers only matching mail', async () => {
      sim.addMessage(MAILBOX, 'inbox', { subject: 'low', importance: 'low' });
      sim.addMessage(MAILBOX, 'inbox', { subject: 'high', importance: 'high' });
      const node = await loadOne(sim, { filter: "importance eq 'high'" });
      await node.poll();
      assert.deepEqual(
        node.messages.map((m) => m.topic),
        ['high'],
      );
    });

    it('sends search as $search with ConsistencyLevel eventual and no $filter', async () => {
      sim.addMessage(MAILBOX, 'inbox', { subject: 'invoice 1' });
      sim.addMessage(MAILBOX, 'inbox', { subject: 'hello' });
      const node = await loadOne(sim, { search: 'subject:invoice' });
      await node.poll();
      assert.deepEqual(
        node.messages.map((m) => m.topic),
        ['invoice 1'],
      );
      const list = sim.requests.find((r) => r.operation === 'listMessages');
      assert.equal(list?.headers.consistencylevel, 'eventual');
      assert.equal(list?.query.$filter, undefined);
    });

    it('takes at most maxMessages mails per poll, oldest first', async () => {
      sim.seedMessages(MAILBOX, 'inbox', 7, (i) => ({ subject: `m${i}` }));
      const node = await loadOne(sim, { maxMessages: 3 });
      await node.poll();
      assert.deepEqual(
        node.messages.map((m) => m.topic),
        ['m0', 'm1', 'm2'],
      );
      await pollUntilQuiet(node);
      assert.equal(node.messages.length, 7);
    });
  });

  describe('mails that cannot be mapped', () => {
    it('delivers a mail without sender with a warning, and the other mails too', async () => {
      sim.addMessage(MAILBOX, 'inbox', { subject: 'fine 1' });
      sim.addMessage(MAILBOX, 'inbox', { subject: 'no sender', from: null });
      sim.addMessage(MAILBOX, 'inbox', { subject: 'fine 2' });
      const node = await loadOne(sim);
      await node.poll();
      assert.deepEqual(
        node.messages.map((m) => m.topic),
        ['fine 1', 'no sender', 'fine 2'],
      );
      assert.equal(node.messages[1].from, '');
      assert.ok(node.messages[1].o365.warnings?.some((w) => /sender/.test(w)));
    });

    it('reports a mail it cannot read as an error for that mail alone', async () => {
      sim.addMessage(MAILBOX, 'inbox', { subject: 'a' });
      const bad = sim.addMessage(MAILBOX, 'inbox', { subject: 'b' });
      sim.addMessage(MAILBOX, 'inbox', { subject: 'c' });
      // The MIME of one mail cannot be fetched (more times than the client retries).
      sim.failNext(50, 400, { match: { operation: 'getMime', pathIncludes: encodeURIComponent(bad) } });
      const node = await loadOne(sim, { output: 'mime' });
      await node.poll();
      assert.deepEqual(
        node.messages.map((m) => m.topic),
        ['a', 'c'],
      );
      const error = node.errors.find((e) => e.msg !== undefined);
      assert.ok(error, 'an error with a message for Catch nodes');
      assert.equal((error.msg?.o365 as { id: string }).id, bad);
      assert.equal(sim.getMessage(MAILBOX, bad)?.isRead, false, 'the failed mail is not marked read');
    });
  });

  describe('status', () => {
    it('shows how many mails the last poll delivered', async () => {
      sim.seedMessages(MAILBOX, 'inbox', 2);
      const node = await loadOne(sim);
      await node.poll();
      assert.ok(node.statuses.some((s) => s.fill === 'blue' && /polling/.test(String(s.text))));
      assert.equal(node.lastStatus?.fill, 'green');
      assert.match(String(node.lastStatus?.text), /^2 /);
    });

    it('shows when the next poll is on an interval schedule', async () => {
      const node = await loadOne(sim, { pollType: 'interval', interval: 3600, pollOnStart: true });
      await node.pollEnded(0);
      assert.match(String(node.lastStatus?.text), /\d\d:\d\d:\d\d/);
    });

    it('rejects a bad cron expression with a clear status', async () => {
      const node = await loadOne(sim, { pollType: 'cron', cron: '0 */5 * *' });
      node.trigger();
      await waitFor(() => node.errors.length > 0, 5000, 'an error');
      assert.match(node.errors[0].message, /invalid cron expression: .*4 fields/);
    });
  });

  describe('admin endpoint', () => {
    it('checks a cron expression and names the next runs', async () => {
      await loadOne(sim);
      const ok = await helper
        .request()
        .get('/o365-mail-in/cron')
        .query({ expression: '0 */5 * * * ?' })
        .expect(200);
      assert.equal(ok.body.valid, true);
      assert.equal(ok.body.next.length, 3);
      assert.ok(ok.body.next.every((d: string) => new Date(d).getUTCSeconds() === 0));
      const bad = await helper
        .request()
        .get('/o365-mail-in/cron')
        .query({ expression: '61 * * * * ?' })
        .expect(200);
      assert.equal(bad.body.valid, false);
      assert.match(bad.body.error, /second/);
      // The problem as data, which the dialog words in its own language (o365-mail-in.cron-problem.*).
      assert.deepEqual(
        { code: bad.body.problem.code, field: bad.body.problem.field, value: bad.body.problem.value },
        { code: 'bad-field', field: 'seconds', value: '61' },
      );
    });
  });
});
