/**
 * o365-mail-out in the real Node-RED runtime against the simulator: every field and fallback, recipient forms, body
 * types, attachments of every size (compared byte for byte on the simulator side), save on both paths, and the
 * optional reply-to / importance / from / headers. The simulator validates every request body against Graph's schema.
 */
import assert from 'node:assert/strict';
import type { Simulator } from '../simulator';
import type { StoredMessage } from '../simulator/types';
import { COLLEAGUE, MAILBOX, MailOutHarness, mailOutSuite, type SentMsg } from './mail-out-harness';
import { helper } from './setup';

const MB = 1024 * 1024;

function bytes(size: number, seed: number): Buffer {
  const buffer = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) buffer[i] = (i * 131 + seed * 7 + (i >> 10)) & 0xff;
  return buffer;
}

function addresses(list: { emailAddress: { address: string } }[]): string[] {
  return list.map((r) => r.emailAddress.address);
}

describe('o365-mail-out (integration)', function () {
  this.timeout(30_000);
  const suite = mailOutSuite();
  let sim: Simulator;
  beforeEach(() => {
    sim = suite.sim;
  });

  /** Mails the simulator recorded as sent during this test. */
  const sentNow = (): StoredMessage[] => suite.sentNow().map((r) => r.message);
  const only = (): StoredMessage => {
    const sent = sentNow();
    assert.equal(sent.length, 1, 'exactly one mail was sent');
    return sent[0];
  };
  const sentItems = (): StoredMessage[] => sim.messages(MAILBOX, 'sentitems');

  describe('fields and fallbacks', () => {
    it('sends one mail by one sendMail with the node fields as plain strings', async () => {
      const node = await MailOutHarness.load(sim, {
        subject: 'Invoice 42',
        toRecipients: COLLEAGUE,
        ccRecipients: 'cc1@fabrikam.example',
        bccRecipients: 'bcc1@fabrikam.example',
      });
      const out = await node.sent({ payload: 'Please find the invoice.', topic: 'not this' });
      const mail = only();
      assert.equal(mail.subject, 'Invoice 42');
      assert.deepEqual(addresses(mail.toRecipients), [COLLEAGUE]);
      assert.deepEqual(addresses(mail.ccRecipients), ['cc1@fabrikam.example']);
      assert.deepEqual(addresses(mail.bccRecipients), ['bcc1@fabrikam.example']);
      assert.deepEqual(mail.body, { contentType: 'text', content: 'Please find the invoice.' });
      assert.equal(sim.counters.byOperation.sendMail, 1);
      assert.deepEqual(out.o365, {
        mailbox: MAILBOX,
        sent: true,
        path: 'sendMail',
        savedToSentItems: true,
        attachments: 0,
        internetMessageId: mail.internetMessageId,
      });
      assert.match(mail.internetMessageId, /^<[0-9a-f-]{36}@contoso\.example>$/, 'the id the node chose');
      assert.equal(out.payload, 'Please find the invoice.', 'the output is the input message');
      // The recipient that is a simulated mailbox got it.
      assert.ok(sim.messages(COLLEAGUE, 'inbox').some((m) => m.subject === 'Invoice 42'));
    });

    it('falls back to msg.topic, msg.to, msg.cc and msg.bcc when the fields are empty', async () => {
      const node = await MailOutHarness.load(sim);
      await node.sent({
        topic: 'From topic',
        to: 'to1@fabrikam.example',
        cc: ['cc1@fabrikam.example', 'cc2@fabrikam.example'],
        bcc: 'bcc1@fabrikam.example',
        payload: 'x',
      });
      const mail = only();
      assert.equal(mail.subject, 'From topic');
      assert.deepEqual(addresses(mail.toRecipients), ['to1@fabrikam.example']);
      assert.deepEqual(addresses(mail.ccRecipients), ['cc1@fabrikam.example', 'cc2@fabrikam.example']);
      assert.deepEqual(addresses(mail.bccRecipients), ['bcc1@fabrikam.example']);
    });

    it('evaluates msg, flow, global, env and JSONata fields per message', async () => {
      process.env.O365_TEST_BCC = 'env@fabrikam.example';
      const node = await MailOutHarness.load(sim, {
        username: '$lowercase(mailbox)',
        usernameType: 'jsonata',
        subject: '"Order " & $string(order.id)',
        subjectType: 'jsonata',
        toRecipients: 'order.customer',
        toRecipientsType: 'msg',
        ccRecipients: 'copyTo',
        ccRecipientsType: 'flow',
        bccRecipients: 'O365_TEST_BCC',
        bccRecipientsType: 'env',
      });
      node.node.context().flow.set('copyTo', 'flow@fabrikam.example');
      for (const id of [1, 2]) {
        await node.sent({
          mailbox: MAILBOX.toUpperCase(),
          order: { id, customer: `c${id}@fabrikam.example` },
        });
      }
      const sent = sentNow();
      assert.deepEqual(
        sent.map((m) => [m.subject, addresses(m.toRecipients)[0]]),
        [
          ['Order 1', 'c1@fabrikam.example'],
          ['Order 2', 'c2@fabrikam.example'],
        ],
      );
      assert.deepEqual(addresses(sent[0].ccRecipients), ['flow@fabrikam.example']);
      assert.deepEqual(addresses(sent[0].bccRecipients), ['env@fabrikam.example']);
      delete process.env.O365_TEST_BCC;
    });

    it('takes a global context value as the recipients', async () => {
      const node = await MailOutHarness.load(sim, { toRecipients: 'team', toRecipientsType: 'global' });
      node.node.context().global.set('team', ['a@fabrikam.example', 'b@fabrikam.example']);
      await node.sent({ payload: 'x' });
      assert.deepEqual(addresses(only().toRecipients), ['a@fabrikam.example', 'b@fabrikam.example']);
    });

    it('fails clearly, sending nothing, without a mailbox or with a broken expression', async () => {
      const noMailbox = await MailOutHarness.load(sim, { username: 'box', usernameType: 'msg' });
      assert.match(
        await noMailbox.fails({ to: COLLEAGUE }),
        /no sending mailbox \(username\).*nothing was sent/,
      );
      await helper.unload();
      const broken = await MailOutHarness.load(sim, { subject: '"a" &', subjectType: 'jsonata' });
      assert.match(await broken.fails({ to: COLLEAGUE }), /^subject: could not evaluate jsonata/);
      assert.equal(sentNow().length, 0);
      assert.equal(sim.counters.byOperation.sendMail, 0);
    });
  });

  describe('recipients', () => {
    it('accepts every form, trims and de-duplicates', async () => {
      const node = await MailOutHarness.load(sim);
      await node.sent({
        to: ' Ann Smith <ann@fabrikam.example> ; bob@fabrikam.example,ANN@fabrikam.example',
        cc: [
          { name: 'Carol', address: 'carol@fabrikam.example' },
          '"Doe, Dan" <dan@fabrikam.example>',
          ['eve@fabrikam.example'],
        ],
        payload: 'x',
      });
      const mail = only();
      assert.deepEqual(
        mail.toRecipients.map((r) => [r.emailAddress.name, r.emailAddress.address]),
        [
          ['Ann Smith', 'ann@fabrikam.example'],
          // Graph (and the simulator) name a recipient given without a name by its address.
          ['bob@fabrikam.example', 'bob@fabrikam.example'],
        ],
      );
      assert.deepEqual(
        mail.ccRecipients.map((r) => [r.emailAddress.name, r.emailAddress.address]),
        [
          ['Carol', 'carol@fabrikam.example'],
          ['Doe, Dan', 'dan@fabrikam.example'],
          ['eve@fabrikam.example', 'eve@fabrikam.example'],
        ],
      );
    });

    it('rejects each invalid input with a clear error and sends nothing', async () => {
      const node = await MailOutHarness.load(sim);
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ to: 'bob@' }, /to: "bob@" is not an e-mail address/],
        [{ to: 'ann@fabrikam.example', cc: 'not an address' }, /cc: .*not an e-mail address/],
        [{ to: 'ann@fabrikam.example', bcc: [42] }, /bcc: /],
        [{}, /no recipient/],
        [{ to: '  ;, ' }, /no recipient/],
        [{ to: Array.from({ length: 501 }, (_, i) => `r${i}@fabrikam.example`) }, /500/],
        [{ to: 'ann@fabrikam.example', replyTo: 'nobody' }, /replyTo: /],
        [
          { to: 'ann@fabrikam.example', from: 'a@fabrikam.example, b@fabrikam.example' },
          /from: only one address/,
        ],
        [{ to: 'ann@fabrikam.example', importance: 'urgent' }, /importance: "urgent" is not valid/],
        [
          { to: 'ann@fabrikam.example', attachments: [{ filename: 'x', path: '/etc/passwd' }] },
          /"path" is not supported/,
        ],
        [
          { to: 'ann@fabrikam.example', attachments: [{ filename: 'x' }] },
          /attachments\[0\].*missing content/,
        ],
      ];
      for (const [msg, pattern] of cases) {
        const message = await node.fails({ payload: 'x', ...msg });
        assert.match(message, pattern);
        assert.match(message, /nothing was sent/);
      }
      assert.equal(sentNow().length, 0);
      assert.equal(sim.counters.graphRequests, 0, 'no request reached Graph');
      const status = node.statuses.at(-1);
      assert.equal(status?.fill, 'red');
    });
  });

  describe('body', () => {
    const cases: [string, unknown, string | undefined, 'text' | 'html', string][] = [
      ['plain text', 'Hello\nworld', undefined, 'text', 'Hello\nworld'],
      ['HTML detected', '<p>Hello <b>world</b></p>', undefined, 'html', '<p>Hello <b>world</b></p>'],
      ['text that only looks odd', 'a < b > c', undefined, 'text', 'a < b > c'],
      ['HTML forced', 'plain words', 'html', 'html', 'plain words'],
      ['text forced', '<p>tags</p>', 'text', 'text', '<p>tags</p>'],
      ['a number', 42, undefined, 'text', '42'],
      ['a boolean', false, undefined, 'text', 'false'],
      [
        'an object as JSON',
        { a: 1, b: [true] },
        undefined,
        'text',
        JSON.stringify({ a: 1, b: [true] }, null, 2),
      ],
      ['nothing', undefined, undefined, 'text', ''],
    ];
    for (const [what, payload, bodyType, contentType, content] of cases) {
      it(`sends ${what} as ${contentType}`, async () => {
        const node = await MailOutHarness.load(sim, bodyType ? { bodyType } : {});
        await node.sent({ to: COLLEAGUE, payload });
        const body = only().body;
        assert.equal(body.contentType, contentType);
        assert.equal(body.content, content);
      });
    }

    it('sends a Buffer payload with msg.filename as an attachment (node-red-node-email rule)', async () => {
      const node = await MailOutHarness.load(sim);
      const pdf = bytes(2000, 1);
      const out = await node.sent({ to: COLLEAGUE, payload: pdf, filename: '/tmp/reports/report.pdf' });
      const mail = only();
      assert.equal(mail.body.content, '');
      assert.equal(mail.attachments.length, 1);
      assert.equal(mail.attachments[0].name, 'report.pdf');
      assert.equal(mail.attachments[0].contentType, 'application/pdf');
      assert.ok(mail.attachments[0].content.equals(pdf));
      assert.equal(out.o365.attachments, 1);
    });
  });

  describe('attachments', () => {
    it('sends small and inline attachments inside one sendMail, byte-exact', async () => {
      const node = await MailOutHarness.load(sim);
      const logo = bytes(3000, 2);
      const csv = 'id;name\n1;Ann\n';
      await node.sent({
        to: COLLEAGUE,
        payload: '<p>Logo: <img src="cid:logo@x"></p>',
        attachments: [
          { filename: 'logo.png', content: logo, cid: 'logo@x' },
          { filename: 'list.csv', content: csv },
          { filename: 'data.bin', content: bytes(100, 3).toString('base64'), encoding: 'base64' },
          { filename: 'hex.bin', content: 'cafe', encoding: 'hex', contentType: 'application/x-custom' },
        ],
      });
      assert.equal(sim.counters.byOperation.sendMail, 1);
      assert.equal(sim.counters.byOperation.createDraft, 0);
      const [png, list, data, hex] = only().attachments;
      assert.ok(png.content.equals(logo));
      assert.equal(png.isInline, true);
      assert.equal(png.contentId, 'logo@x');
      assert.equal(png.contentType, 'image/png');
      assert.equal(list.content.toString('utf8'), csv);
      assert.equal(list.contentType, 'text/csv');
      assert.ok(data.content.equals(bytes(100, 3)));
      assert.ok(hex.content.equals(Buffer.from([0xca, 0xfe])));
      assert.equal(hex.contentType, 'application/x-custom');
      assert.equal(only().body.contentType, 'html');
    });

    it('sends a large attachment through a draft and an upload session in ordered chunks, byte-exact', async () => {
      const node = await MailOutHarness.load(sim);
      const big = bytes(9 * MB + 12345, 4);
      const out = await node.sent({
        to: COLLEAGUE,
        topic: 'Big',
        payload: 'see attached',
        attachments: [{ filename: 'big.bin', content: big }],
      });
      const mail = only();
      assert.equal(mail.attachments.length, 1);
      assert.equal(mail.attachments[0].size, big.length);
      assert.ok(mail.attachments[0].content.equals(big), 'the simulator holds the exact bytes');
      assert.equal(sim.sent.at(-1)?.via, 'draft');
      assert.equal(sim.counters.byOperation.sendMail, 0);
      assert.equal(sim.counters.byOperation.createUploadSession, 1);
      assert.equal(sim.counters.byOperation.uploadChunk, Math.ceil(big.length / (320 * 1024 * 12)));
      const chunks = sim.requests.filter((r) => r.operation === 'uploadChunk');
      assert.ok(chunks.every((r) => r.headers.authorization === undefined));
      assert.equal(out.o365.path, 'draft');
      assert.match(String(out.o365.internetMessageId), /^<.+>$/);
      assert.equal(sim.messages(MAILBOX, 'drafts').length, 0, 'no draft is left behind');
    });

    it('sends a mix of small, inline and large attachments in one draft, every byte exact', async () => {
      const node = await MailOutHarness.load(sim);
      const files = [
        { filename: 'inline.png', content: bytes(50_000, 5), cid: 'pic' },
        { filename: 'a.bin', content: bytes(2 * MB, 6) },
        { filename: 'b.bin', content: bytes(2 * MB + 1, 7) },
        { filename: 'large.bin', content: bytes(4 * MB + 7, 8) },
        { filename: 'c.txt', content: 'tail' },
      ];
      await node.sent({ to: COLLEAGUE, payload: '<img src="cid:pic">', attachments: files });
      const mail = only();
      const byName = new Map(mail.attachments.map((a) => [a.name, a]));
      for (const file of files) {
        const got = byName.get(file.filename);
        assert.ok(got, `${file.filename} arrived`);
        assert.ok(got.content.equals(Buffer.from(file.content)), `${file.filename} is byte-exact`);
      }
      assert.equal(byName.get('inline.png')?.isInline, true);
      assert.equal(sim.counters.byOperation.createUploadSession, 1, 'only the large one by upload session');
      assert.ok(
        sim.counters.byOperation.addAttachment >= 1,
        'small ones that do not fit the draft are POSTed',
      );
    });
  });

  describe('save', () => {
    const big = () => [{ filename: 'big.bin', content: bytes(5 * MB, 9) }];

    for (const save of [true, false]) {
      it(`keeps a Sent Items copy only when save is ${save}, on the sendMail path`, async () => {
        const node = await MailOutHarness.load(sim, { save });
        const before = sentItems().length;
        const out = await node.sent({ to: COLLEAGUE, topic: `small save=${save}`, payload: 'x' });
        assert.equal(sentItems().length - before, save ? 1 : 0);
        assert.equal(sim.sent.at(-1)?.saveToSentItems, save);
        assert.equal(out.o365.savedToSentItems, save);
      });

      it(`keeps a Sent Items copy only when save is ${save}, on the draft path`, async () => {
        const node = await MailOutHarness.load(sim, { save });
        const topic = `large save=${save}`;
        const out = await node.sent({ to: COLLEAGUE, topic, payload: 'x', attachments: big() });
        assert.equal(out.o365.path, 'draft');
        const copies = sentItems().filter((m) => m.subject === topic);
        assert.equal(copies.length, save ? 1 : 0);
        assert.equal(out.o365.savedToSentItems, save);
        assert.equal(out.o365.warnings, undefined);
        assert.ok(
          sim.messages(COLLEAGUE, 'inbox').some((m) => m.subject === topic),
          'and the mail went',
        );
      });
    }

    it('warns when the Sent Items copy cannot be removed, and still reports the mail sent', async () => {
      const node = await MailOutHarness.load(sim, { save: false });
      sim.failNext(1, 403, { code: 'ErrorAccessDenied', match: { operation: 'listMessages' } });
      const out = await node.sent({ to: COLLEAGUE, topic: 'kept copy', payload: 'x', attachments: big() });
      assert.equal(out.o365.sent, true);
      assert.equal(out.o365.savedToSentItems, true);
      assert.match(String(out.o365.warnings?.[0]), /Sent Items could not be removed/);
      assert.ok(node.warnings.some((w) => /Sent Items could not be removed/.test(w)));
    });
  });

  describe('reply-to, importance, from and headers', () => {
    it('sets reply-to and importance, also from node-red-node-email priority', async () => {
      const node = await MailOutHarness.load(sim);
      await node.sent({
        to: COLLEAGUE,
        replyTo: 'Desk <desk@fabrikam.example>',
        importance: 'HIGH',
        payload: 'x',
      });
      await node.sent({ to: COLLEAGUE, priority: 5, payload: 'x' });
      await node.sent({ to: COLLEAGUE, importance: 'low', priority: 1, payload: 'x' });
      const [first, second, third] = sentNow();
      assert.deepEqual(
        first.replyTo.map((r) => r.emailAddress),
        [{ name: 'Desk', address: 'desk@fabrikam.example' }],
      );
      assert.equal(first.importance, 'high');
      assert.equal(second.importance, 'low');
      assert.equal(third.importance, 'low', 'importance wins over priority');
    });

    it('sends as another address the mailbox may use, and reports a refusal clearly', async () => {
      sim.grantSendAs(MAILBOX, 'shared@contoso.example');
      const node = await MailOutHarness.load(sim);
      await node.sent({ to: COLLEAGUE, from: 'Shared <shared@contoso.example>', payload: 'x' });
      assert.equal(only().from?.emailAddress.address, 'shared@contoso.example');
      const message = await node.fails({ to: COLLEAGUE, from: 'ceo@contoso.example', payload: 'x' });
      assert.match(message, /not sent: .*ErrorSendAsDenied/);
      assert.equal(sentNow().length, 1);
    });

    it('keeps X- headers and drops others with a warning', async () => {
      const node = await MailOutHarness.load(sim);
      const out = await node.sent({
        to: COLLEAGUE,
        payload: 'x',
        headers: { 'X-Order': 42, 'x-flow': 'billing', 'Content-Type': 'text/plain', Date: 'now' },
      });
      const received = sim.messages(COLLEAGUE, 'inbox')[0];
      const header = (name: string) =>
        received.internetMessageHeaders.find((h) => h.name.toLowerCase() === name)?.value;
      assert.equal(header('x-order'), '42');
      assert.equal(header('x-flow'), 'billing');
      assert.equal(out.o365.warnings?.length, 2);
      assert.match(String(out.o365.warnings?.[0]), /"Content-Type" dropped/);
      assert.equal(node.warnings.length, 2);
    });
  });

  describe('account problems', () => {
    it('reports a wrong client secret as not sent, with the reason in the status', async () => {
      const node = await MailOutHarness.load(sim, {}, { clientSecret: 'wrong-secret-value' });
      const message = await node.fails({ to: COLLEAGUE, payload: 'x' });
      assert.match(message, /^mail to colleague@contoso\.example not sent: .*client secret is wrong/);
      assert.doesNotMatch(message, /wrong-secret-value/, 'the secret never appears');
      assert.equal(node.statuses.at(-1)?.fill, 'red');
      assert.equal(sim.counters.byOperation.sendMail, 0);
    });

    it('refuses to send without an account', async () => {
      const node = await MailOutHarness.load(sim, { account: '' });
      assert.match(
        await node.fails({ to: COLLEAGUE, payload: 'x' }),
        /no Microsoft 365 account configured; nothing was sent/,
      );
      assert.equal(node.statuses.at(-1)?.fill, 'red');
    });
  });

  describe('status', () => {
    it('shows the count sent, then the last error', async () => {
      const node = await MailOutHarness.load(sim);
      await node.sent({ to: COLLEAGUE, payload: 'x' });
      await node.sent({ to: COLLEAGUE, payload: 'y' });
      assert.deepEqual(node.statuses.at(-1), { fill: 'green', shape: 'dot', text: '2 sent' });
      await node.fails({ to: 'nobody', payload: 'z' });
      assert.deepEqual(node.statuses.at(-1), {
        fill: 'red',
        shape: 'ring',
        text: 'to: "nobody" is not an e-mail address',
      });
      await node.sent({ to: COLLEAGUE, payload: 'again' });
      assert.deepEqual(node.statuses.at(-1), { fill: 'green', shape: 'dot', text: '3 sent' });
      assert.ok(node.statuses.some((s) => s.text === 'sending'));
    });
  });
});

export type { SentMsg };
