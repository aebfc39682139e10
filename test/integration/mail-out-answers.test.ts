/**
 * o365-mail-out's answers in a thread (mode reply, replyAll, forward) and raw MIME sends (bodyType mime), in the real
 * Node-RED runtime against the simulator: the answer stays in the conversation with In-Reply-To and References, the
 * text stands above the quoted original, the node's fields add recipients or replace the subject, attachments of any
 * size, a moved original found by its internetMessageId, a gone one refused with nothing sent, and MIME sent as it is,
 * repaired, or refused over the request limit. Every request body is checked against Graph's schemas.
 */
import assert from 'node:assert/strict';
import { renderMime } from '../simulator/mime';
import type { StoredMessage } from '../simulator/types';
import { COLLEAGUE, MAILBOX, MailOutHarness, mailOutSuite, type SentMsg } from './mail-out-harness';
import { helper } from './setup';

const BOSS = 'boss@fabrikam.example';
const MB = 1024 * 1024;

const header = (m: StoredMessage, name: string) =>
  m.internetMessageHeaders.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value;
const addresses = (list: { emailAddress: { address: string } }[]) => list.map((r) => r.emailAddress.address);

describe('o365-mail-out answers and MIME (integration)', function () {
  this.timeout(30_000);
  const suite = mailOutSuite();

  /** A mail from the boss in the mailbox's inbox, and the message mail in would send on for it. */
  function received(seed: Record<string, unknown> = {}): Record<string, unknown> {
    const sim = suite.sim;
    const id = sim.addMessage(MAILBOX, 'inbox', {
      subject: 'Quote 7',
      from: { name: 'The Boss', address: BOSS },
      to: [MAILBOX, COLLEAGUE],
      body: 'Can you send the quote?',
      internetMessageId: `<quote-${Math.random().toString(36).slice(2)}@fabrikam.example>`,
      ...seed,
    });
    const stored = sim.getMessage(MAILBOX, id) as StoredMessage;
    return {
      payload: 'Can you send the quote?',
      topic: stored.subject,
      from: BOSS,
      to: `${MAILBOX}, ${COLLEAGUE}`,
      cc: '',
      attachments: [
        {
          filename: 'from-the-original.txt',
          contentType: 'text/plain',
          size: 3,
          content: Buffer.from('abc'),
          isInline: false,
          kind: 'file',
        },
      ],
      o365: { id, internetMessageId: stored.internetMessageId, mailbox: MAILBOX, folder: 'inbox' },
    };
  }
  const only = (): StoredMessage => {
    const sent = suite.sentNow();
    assert.equal(sent.length, 1, 'exactly one mail was sent');
    return sent[0].message;
  };

  describe('mode reply, replyAll, forward', () => {
    it('reply: in the thread, to the sender, RE: subject, the text above the quote; msg.to and the original attachments not used', async () => {
      const node = await MailOutHarness.load(suite.sim, { mode: 'reply', username: '' });
      const msg = received();
      const out = await node.sent({ ...msg, payload: 'Here it is.' });
      const mail = only();
      const original = suite.sim.getMessage(
        MAILBOX,
        String((msg.o365 as { id: string }).id),
      ) as StoredMessage;
      assert.equal(mail.subject, 'RE: Quote 7');
      assert.deepEqual(addresses(mail.toRecipients), [BOSS]);
      assert.deepEqual(addresses(mail.ccRecipients), []);
      assert.equal(mail.conversationId, original.conversationId);
      assert.equal(mail.inReplyTo, original.internetMessageId);
      assert.equal(mail.references, original.internetMessageId);
      assert.ok(mail.body.content.indexOf('Here it is.') < mail.body.content.indexOf('divRplyFwdMsg'));
      assert.match(mail.body.content, /Can you send the quote\?/);
      assert.equal(mail.attachments.length, 0, "mail in's attachments are the original's: not sent back");
      assert.equal((out as SentMsg).o365.path, 'draft');
      assert.equal((out as SentMsg).o365.mode, 'reply');
      assert.equal((out as SentMsg).o365.internetMessageId, mail.internetMessageId);
      assert.equal(suite.sim.messages(MAILBOX, 'drafts').length, 0, 'the draft was sent');
      assert.equal(suite.sim.messages(MAILBOX, 'sentitems').length, 1);
    });

    it('replyAll: everyone but the mailbox; the node fields add recipients and replace the subject', async () => {
      const node = await MailOutHarness.load(suite.sim, {
        mode: 'replyAll',
        username: MAILBOX,
        toRecipients: 'audit@fabrikam.example',
        subject: 'RE: Quote 7 (price inside)',
      });
      await node.sent({ ...received(), payload: '<p>Price: <b>42</b></p>' });
      const mail = only();
      assert.deepEqual(addresses(mail.toRecipients), [BOSS, COLLEAGUE, 'audit@fabrikam.example']);
      assert.equal(mail.subject, 'RE: Quote 7 (price inside)');
      assert.match(mail.body.content, /<div><p>Price: <b>42<\/b><\/p><\/div>/);
      const delivered = suite.sim.messages(COLLEAGUE, 'inbox')[0];
      assert.ok(header(delivered, 'In-Reply-To'), 'the answer carries In-Reply-To');
    });

    it('forward: FW:, to the node To, with the original attachments and a new one of any size', async () => {
      const node = await MailOutHarness.load(suite.sim, {
        mode: 'forward',
        username: '',
        toRecipients: COLLEAGUE,
      });
      const big = Buffer.alloc(5 * MB, 7);
      const msg = received({
        attachments: [
          { kind: 'file', name: 'spec.txt', contentType: 'text/plain', content: Buffer.from('spec') },
        ],
      });
      const extra = { filename: 'big.bin', content: big };
      await node.sent({ ...msg, payload: 'FYI', attachments: [...(msg.attachments as unknown[]), extra] });
      const mail = only();
      assert.equal(mail.subject, 'FW: Quote 7');
      assert.deepEqual(addresses(mail.toRecipients), [COLLEAGUE]);
      assert.deepEqual(
        mail.attachments.map((a) => [a.name, a.content.length]),
        [
          ['spec.txt', 4],
          ['big.bin', big.length],
        ],
      );
      assert.ok(suite.sim.counters.byOperation.uploadChunk >= 2, 'the 5 MB file went by upload session');
    });

    it('finds an original that moved by its internetMessageId', async () => {
      const node = await MailOutHarness.load(suite.sim, { mode: 'reply', username: '' });
      const msg = received();
      suite.sim.moveMessage(MAILBOX, String((msg.o365 as { id: string }).id), 'archive');
      await node.sent({ ...msg, payload: 'Found it.' });
      assert.equal(only().subject, 'RE: Quote 7');
    });

    it('refuses to answer a mail that is gone, naming it; nothing is sent and no draft is left', async () => {
      const node = await MailOutHarness.load(suite.sim, { mode: 'reply', username: '' });
      const msg = received();
      suite.sim.addMessage(MAILBOX, 'inbox', {}); // another mail stays
      const id = String((msg.o365 as { id: string }).id);
      // Moved to Deleted Items, then deleted for good: neither the id nor the real internetMessageId finds it.
      suite.sim.deleteMessage(MAILBOX, suite.sim.moveMessage(MAILBOX, id, 'deleteditems'));
      const draftsBefore = suite.sim.messages(MAILBOX, 'drafts').length;
      suite.sim.resetCounters();
      const outcome = await node.run({ ...msg, payload: 'Too late.' });
      assert.equal(outcome.kind, 'error');
      if (outcome.kind !== 'error') return;
      assert.match(outcome.message, /cannot reply to the mail: it is not in the mailbox.*nothing was sent/);
      assert.match(
        outcome.message,
        new RegExp(String((msg.o365 as { internetMessageId: string }).internetMessageId)),
      );
      assert.equal(outcome.msg.payload, 'Too late.', 'the Catch node gets the input message');
      assert.equal(suite.sentNow().length, 0);
      const made = suite.sim.requests.filter((r) => r.operation === 'createReply' && r.status < 300);
      assert.deepEqual(made, [], 'no answer draft was made (createReply of the old id answered 404)');
      assert.equal(suite.sim.messages(MAILBOX, 'drafts').length, draftsBefore);
    });

    it('refuses a message without msg.o365.id, and a forward without To; nothing is asked of Graph', async () => {
      const reply = await MailOutHarness.load(suite.sim, { mode: 'reply', username: MAILBOX });
      suite.sim.resetCounters();
      assert.match(
        await reply.fails({ payload: 'x' }),
        /answers the mail in msg\.o365\.id.*nothing was sent/,
      );
      await helper.unload();
      const forward = await MailOutHarness.load(suite.sim, { mode: 'forward', username: '' });
      assert.match(
        await forward.fails({ ...received(), payload: 'FYI', to: COLLEAGUE }),
        /no recipient to forward to: set To \(msg\.to is not used when forwarding\)/,
      );
      assert.equal(suite.sim.counters.byOperation.createForward ?? 0, 0);
      assert.equal(suite.sentNow().length, 0);
    });

    it('an answer carries msg.importance, msg.replyTo and msg.headers as a new mail does', async () => {
      const node = await MailOutHarness.load(suite.sim, { mode: 'reply', username: '' });
      await node.sent({
        ...received(),
        payload: 'Urgent answer',
        importance: 'high',
        replyTo: 'desk@contoso.example',
        headers: { 'X-Order-Id': '7' },
      });
      const mail = only();
      assert.equal(mail.importance, 'high');
      assert.deepEqual(addresses(mail.replyTo), ['desk@contoso.example']);
      assert.equal(header(mail, 'X-Order-Id'), '7');
      assert.equal(mail.subject, 'RE: Quote 7');
    });
  });

  describe('never sent twice on the answer draft path', () => {
    it('a /send answered 503 before Graph acted: the draft is still a draft, that same draft is sent once', async () => {
      suite.sim.failNext(1, 503, { match: { operation: 'sendDraft' } });
      const node = await MailOutHarness.load(suite.sim, { mode: 'reply', username: '' });
      await node.sent({ ...received(), payload: 'Once.' });
      assert.equal(only().subject, 'RE: Quote 7');
      assert.equal(suite.sim.counters.byOperation.sendDraft, 2, 'the same draft, sent again');
      assert.equal(suite.sim.counters.byOperation.createReply, 1, 'one answer draft');
      assert.equal(suite.sim.messages(MAILBOX, 'drafts').length, 0);
    });

    it('a /send Graph carried out, then answered 504 or dropped: found sent, never sent again', async () => {
      for (const inject of [
        () => suite.sim.failAfterNext(1, 504, { match: { operation: 'sendDraft' } }),
        () => suite.sim.dropNext(1, { after: true, match: { operation: 'sendDraft' } }),
      ]) {
        const before = suite.sentNow().length;
        inject();
        const node = await MailOutHarness.load(suite.sim, { mode: 'replyAll', username: '' });
        const out = await node.sent({ ...received(), payload: 'Once only.' });
        assert.equal(suite.sentNow().length - before, 1, 'exactly one mail');
        assert.equal(out.o365.sent, true);
        await helper.unload();
      }
      assert.equal(suite.sim.messages(MAILBOX, 'drafts').length, 0);
    });
  });

  describe('bodyType mime', () => {
    const mime = (to: string, extra = '', id = 'relay-1') =>
      `From: ${MAILBOX}\r\nTo: ${to}\r\nSubject: Relayed${extra}\r\nMessage-ID: <${id}@contoso.example>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nRelayed body\r\n`;

    it('sends msg.payload (a Buffer) as it is, its own headers saying who it is for', async () => {
      const node = await MailOutHarness.load(suite.sim, {
        bodyType: 'mime',
        toRecipients: 'not-used@x.example',
      });
      const out = (await node.sent({
        payload: Buffer.from(mime(COLLEAGUE)),
        to: 'ignored@x.example',
      })) as SentMsg;
      const mail = only();
      assert.deepEqual(addresses(mail.toRecipients), [COLLEAGUE]);
      assert.equal(mail.subject, 'Relayed');
      assert.equal(mail.internetMessageId, '<relay-1@contoso.example>');
      assert.equal(out.o365.path, 'sendMail');
      assert.equal(out.o365.internetMessageId, '<relay-1@contoso.example>');
      assert.equal(suite.sim.counters.byOperation.sendMail, 1);
    });

    it('relays what mail in emits with output mime', async () => {
      const sim = suite.sim;
      sim.addMessage(MAILBOX, 'inbox', { subject: 'Original', to: [MAILBOX], body: 'hello' });
      const stored = sim.messages(MAILBOX, 'inbox')[0];
      const eml = renderMime({
        ...stored,
        toRecipients: [{ emailAddress: { name: COLLEAGUE, address: COLLEAGUE } }],
      });
      const node = await MailOutHarness.load(sim, { bodyType: 'mime' });
      await node.sent({ payload: eml });
      assert.equal(only().subject, 'Original');
    });

    it('repairs a mail with bare LF line ends only into CRLF, and says so in msg.o365.warnings', async () => {
      const node = await MailOutHarness.load(suite.sim, { bodyType: 'mime' });
      const lf = mime(COLLEAGUE, '', 'lf-only').replace(/\r\n/g, '\n');
      const out = (await node.sent({ payload: lf })) as SentMsg;
      const mail = only();
      assert.equal(mail.subject, 'Relayed');
      assert.equal(mail.body.content.trim(), 'Relayed body');
      assert.deepEqual(out.o365.warnings, ['MIME repaired: line ends converted from LF to CRLF']);
    });

    it('repairs 8-bit text in the headers as RFC 2047 words, and refuses 8-bit bytes that are not UTF-8', async () => {
      const node = await MailOutHarness.load(suite.sim, { bodyType: 'mime' });
      const out = (await node.sent({
        payload: Buffer.from(mime(COLLEAGUE, ' für dich', '8bit')),
      })) as SentMsg;
      assert.equal(only().subject, 'Relayed für dich');
      assert.deepEqual(out.o365.warnings, [
        'MIME repaired: header Subject encoded as RFC 2047 words (it had 8-bit text)',
      ]);
      const latin1 = Buffer.from(mime(COLLEAGUE, ' f\u00fcr dich', 'latin1'), 'latin1');
      assert.match(
        await node.fails({ payload: latin1 }),
        /header Subject has 8-bit bytes that are not UTF-8.*nothing was sent/,
      );
      assert.equal(suite.sentNow().length, 1, 'the Latin-1 one was not sent');
    });

    it('repairs bare LF and 8-bit headers together', async () => {
      const node = await MailOutHarness.load(suite.sim, { bodyType: 'mime' });
      const lf = mime(COLLEAGUE, ' für dich').replace(/\r\n/g, '\n');
      const out = (await node.sent({ payload: lf })) as SentMsg;
      assert.equal(only().subject, 'Relayed für dich');
      assert.deepEqual(out.o365.warnings, [
        'MIME repaired: header Subject encoded as RFC 2047 words (it had 8-bit text)',
        'MIME repaired: line ends converted from LF to CRLF',
      ]);
    });

    it('refuses text without headers, a mail without recipient, and a mail over the limit, naming it; nothing sent', async () => {
      const node = await MailOutHarness.load(suite.sim, { bodyType: 'mime' });
      assert.match(await node.fails({ payload: 'just text' }), /not a MIME mail.*nothing was sent/);
      assert.match(await node.fails({ payload: `From: ${MAILBOX}\r\n\r\nx` }), /no recipient/);
      const big = mime(COLLEAGUE).replace('Relayed body', 'x'.repeat(3 * MB));
      assert.match(
        await node.fails({ payload: big }),
        /Graph's sendMail takes at most \d+ bytes of MIME.*nothing was sent/,
      );
      assert.equal(suite.sentNow().length, 0);
      assert.equal(suite.sim.counters.byOperation.sendMail, 0, 'nothing was asked of Graph');
    });

    it('with save off removes the Sent Items copy Graph keeps', async () => {
      const node = await MailOutHarness.load(suite.sim, { bodyType: 'mime', save: false });
      const out = (await node.sent({ payload: mime(COLLEAGUE, '', 'not-kept') })) as SentMsg;
      assert.equal(out.o365.savedToSentItems, false);
      const kept = suite.sim
        .messages(MAILBOX, 'sentitems')
        .filter((m) => m.internetMessageId === '<not-kept@contoso.example>');
      assert.deepEqual(kept, []);
    });
  });
});
