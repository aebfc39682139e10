/**
 * Graph's answers in a thread and MIME sends as the simulator models them (README "Fidelity", rows marked `fn`):
 * createReply, createReplyAll and createForward drafts, and sendMail with a base64 MIME body.
 */
import * as assert from 'node:assert/strict';
import type { AxiosInstance } from 'axios';
import { startSimulator, type Simulator } from './index';
import { errorCode, graphClient, msgPath, U, USER } from './test-helpers';
import { renderMime } from './mime';
import type { StoredMessage } from './types';

const BOSS = 'boss@contoso.example';
const PEER = 'peer@contoso.example';

interface Draft {
  id: string;
  subject: string;
  isDraft: boolean;
  parentFolderId: string;
  conversationId: string;
  internetMessageId: string;
  body: { contentType: string; content: string };
  toRecipients: { emailAddress: { address: string } }[];
  ccRecipients: { emailAddress: { address: string } }[];
  hasAttachments: boolean;
  importance: string;
}

const addresses = (list: { emailAddress: { address: string } }[]) => list.map((r) => r.emailAddress.address);
const header = (m: StoredMessage, name: string) =>
  m.internetMessageHeaders.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value;

describe('simulator fidelity: answers in a thread and MIME sends', function () {
  this.timeout(20_000);
  let sim: Simulator;
  let graph: AxiosInstance;
  let originalId: string;

  beforeEach(async () => {
    sim = await startSimulator({ mailboxes: [USER, BOSS, PEER] });
    graph = await graphClient(sim);
    originalId = sim.addMessage(USER, 'inbox', {
      subject: 'Quote 7',
      from: { name: 'The Boss', address: BOSS },
      to: [USER, PEER],
      cc: ['cc@fabrikam.example'],
      body: 'Can you send the quote?\nThanks',
      internetMessageId: '<quote-7@contoso.example>',
      headers: { References: '<earlier@contoso.example>' },
      attachments: [
        { kind: 'file', name: 'spec.txt', contentType: 'text/plain', content: Buffer.from('spec') },
      ],
    });
  });
  afterEach(async () => {
    assert.deepEqual(sim.schemaViolations, []);
    await sim.stop();
  });

  it('createReply: a draft in Drafts to the sender, RE: subject, same conversation, the original quoted below the comment', async () => {
    const res = await graph.post(msgPath(originalId, '/createReply'), { comment: 'Here it is.' });
    assert.equal(res.status, 201);
    const draft = res.data as Draft;
    const original = sim.getMessage(USER, originalId) as StoredMessage;
    assert.equal(draft.isDraft, true);
    assert.equal(draft.parentFolderId, sim.folderId(USER, 'drafts'));
    assert.equal(draft.subject, 'RE: Quote 7');
    assert.deepEqual(addresses(draft.toRecipients), [BOSS]);
    assert.deepEqual(addresses(draft.ccRecipients), []);
    assert.equal(draft.conversationId, original.conversationId);
    assert.equal(draft.hasAttachments, false, 'a reply leaves the attachments out');
    const html = draft.body.content;
    assert.equal(draft.body.contentType, 'html');
    assert.ok(
      html.indexOf('Here it is.') < html.indexOf('divRplyFwdMsg'),
      'the comment stands above the quote',
    );
    assert.match(html, /<b>From:<\/b> The Boss &lt;boss@contoso.example&gt;/);
    assert.match(html, /<b>Subject:<\/b> Quote 7/);
    assert.match(html, /Can you send the quote\?<br>/);
  });

  it('a sent reply reaches the sender with In-Reply-To and References, in the same conversation', async () => {
    const draft = (await graph.post(msgPath(originalId, '/createReply'), {})).data as Draft;
    assert.equal((await graph.post(msgPath(draft.id, '/send'))).status, 202);
    const received = sim.messages(BOSS, 'inbox')[0];
    assert.equal(received.subject, 'RE: Quote 7');
    assert.equal(header(received, 'In-Reply-To'), '<quote-7@contoso.example>');
    assert.equal(header(received, 'References'), '<earlier@contoso.example> <quote-7@contoso.example>');
    assert.equal(received.conversationId, sim.getMessage(USER, originalId)?.conversationId);
    assert.match(renderMime(received).toString(), /\r\nIn-Reply-To: <quote-7@contoso.example>\r\n/);
  });

  it('createReplyAll: the sender, the other To and Cc, never the mailbox itself; message updates the draft', async () => {
    const res = await graph.post(msgPath(originalId, '/createReplyAll'), {
      message: { importance: 'high', subject: 'RE: Quote 7 (revised)' },
    });
    const draft = res.data as Draft;
    assert.deepEqual(addresses(draft.toRecipients), [BOSS, PEER]);
    assert.deepEqual(addresses(draft.ccRecipients), ['cc@fabrikam.example']);
    assert.equal(draft.importance, 'high');
    assert.equal(draft.subject, 'RE: Quote 7 (revised)');
  });

  it('createForward: FW: subject, the given recipients, the original attachments carried along', async () => {
    const res = await graph.post(msgPath(originalId, '/createForward'), {
      toRecipients: [{ emailAddress: { address: PEER } }],
      comment: 'FYI',
    });
    const draft = res.data as Draft;
    assert.equal(draft.subject, 'FW: Quote 7');
    assert.deepEqual(addresses(draft.toRecipients), [PEER]);
    assert.equal(draft.hasAttachments, true);
    await graph.post(msgPath(draft.id, '/send'));
    const received = sim.messages(PEER, 'inbox').find((m) => m.subject === 'FW: Quote 7') as StoredMessage;
    assert.deepEqual(
      received.attachments.map((a) => a.name),
      ['spec.txt'],
    );
  });

  it('refuses a comment together with a message body, and createForward with toRecipients twice or not at all', async () => {
    const both = await graph.post(msgPath(originalId, '/createReply'), {
      comment: 'x',
      message: { body: { contentType: 'text', content: 'y' } },
    });
    assert.equal(both.status, 400);
    const twice = await graph.post(msgPath(originalId, '/createForward'), {
      toRecipients: [{ emailAddress: { address: PEER } }],
      message: { toRecipients: [{ emailAddress: { address: PEER } }] },
    });
    assert.equal(twice.status, 400);
    const neither = await graph.post(msgPath(originalId, '/createForward'), { comment: 'no one' });
    assert.equal(neither.status, 400);
    const gone = await graph.post(msgPath('AAMkAGnotThereButLooksLikeAnIdAAA=', '/createReply'), {});
    assert.equal(gone.status, 404);
    assert.equal(sim.messages(USER, 'drafts').length, 0, 'no draft was made');
  });

  describe('sendMail with a MIME body', () => {
    const post = (mime: string | Buffer, encoding: 'base64' | 'raw' = 'base64') =>
      graph.post(
        `/users/${U}/sendMail`,
        encoding === 'base64' ? Buffer.from(mime).toString('base64') : mime,
        { headers: { 'Content-Type': 'text/plain' } },
      );

    it('sends a MIME mail with bare LF line ends as Graph documents it: recipients, subject, body, attachment, Message-ID', async () => {
      const mime = [
        `From: ${USER}`,
        `To: The Boss <${BOSS}>`,
        'Subject: =?UTF-8?B?UmVwb3J0IMOcYmVyc2ljaHQ=?=',
        'Message-ID: <mime-1@contoso.example>',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b1"',
        '',
        '--b1',
        'Content-Type: text/plain; charset="utf-8"',
        '',
        'See attached.',
        '--b1',
        'Content-Type: text/csv; name="r.csv"',
        'Content-Disposition: attachment; filename="r.csv"',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from('a,b\n1,2\n').toString('base64'),
        '--b1--',
        '',
      ].join('\n');
      const res = await post(mime);
      assert.equal(res.status, 202);
      const received = sim.messages(BOSS, 'inbox')[0];
      assert.equal(received.subject, 'Report Übersicht');
      assert.equal(received.internetMessageId, '<mime-1@contoso.example>');
      assert.equal(received.body.content.trim(), 'See attached.');
      assert.equal(received.attachments[0].content.toString(), 'a,b\n1,2\n');
      assert.equal(sim.messages(USER, 'sentitems').length, 1);
    });

    it('reads 8-bit header text as UTF-8', async () => {
      const res = await post(`From: ${USER}\r\nTo: ${BOSS}\r\nSubject: Grüße\r\n\r\nHallo`);
      assert.equal(res.status, 202);
      assert.equal(sim.messages(BOSS, 'inbox')[0].subject, 'Grüße');
    });

    it('answers 400 for MIME that is not base64, has no header section or no recipient; nothing is sent', async () => {
      const notBase64 = await post('From: a@b.example\r\n\r\nhi', 'raw');
      assert.equal(notBase64.status, 400);
      assert.equal(errorCode(notBase64), 'ErrorMimeContentInvalidBase64String');
      const noHeaders = await post('Just a text, no headers at all.');
      assert.equal(noHeaders.status, 400);
      assert.equal(errorCode(noHeaders), 'ErrorMimeContentInvalid');
      const noRecipient = await post(`From: ${USER}\r\nSubject: x\r\n\r\nbody`);
      assert.equal(noRecipient.status, 400);
      assert.equal(errorCode(noRecipient), 'ErrorInvalidRecipients');
      assert.equal(sim.sent.length, 0);
    });

    it('answers 413 for a MIME request body over 4 MB', async () => {
      const big = `From: ${USER}\r\nTo: ${BOSS}\r\nSubject: big\r\n\r\n${'x'.repeat(3_200_000)}`;
      const res = await post(big);
      assert.equal(res.status, 413);
      assert.equal(sim.sent.length, 0);
    });
  });
});
