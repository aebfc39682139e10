import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import type { AxiosInstance } from 'axios';
import { type Simulator } from './index';
import { errorCode, msgPath, rawClient, U, USER, simulatorPerTest } from './test-helpers';

const OTHER = 'other@contoso.example';

function mail(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    subject: 'Hello',
    body: { contentType: 'HTML', content: '<p>Hi <b>there</b></p>' },
    toRecipients: [{ emailAddress: { address: OTHER, name: 'Other' } }],
    ...extra,
  };
}

describe('simulator: sending mail, drafts, attachments and upload sessions', function () {
  let sim: Simulator;
  let graph: AxiosInstance;

  simulatorPerTest({ mailboxes: [USER, OTHER] }, (started, client) => {
    sim = started;
    graph = client;
  });

  it('sendMail answers 202, saves to Sent Items, delivers to simulated recipients and records it', async () => {
    const res = await graph.post(`/users/${U}/sendMail`, {
      message: mail({
        bccRecipients: [{ emailAddress: { address: 'outside@fabrikam.example' } }],
        internetMessageHeaders: [{ name: 'X-Order', value: '42' }],
        importance: 'High',
      }),
      saveToSentItems: true,
    });
    assert.equal(res.status, 202);
    assert.equal(res.data, '');
    const sent = sim.messages(USER, 'sentitems');
    assert.equal(sent.length, 1);
    assert.equal(sent[0].subject, 'Hello');
    const delivered = sim.messages(OTHER, 'inbox');
    assert.equal(delivered.length, 1);
    assert.equal(delivered[0].isRead, false);
    assert.equal(delivered[0].from?.emailAddress.address, USER);
    assert.equal(delivered[0].importance, 'high');
    assert.deepEqual(delivered[0].bccRecipients, [], 'recipients do not see Bcc');
    assert.ok(delivered[0].internetMessageHeaders.some((h) => h.name === 'X-Order' && h.value === '42'));
    assert.equal(sim.sent.length, 1);
    assert.equal(sim.sent[0].via, 'sendMail');
    assert.equal(sim.sent[0].saveToSentItems, true);
    assert.equal(sim.sent[0].message.bccRecipients[0].emailAddress.address, 'outside@fabrikam.example');
    assert.deepEqual(sim.schemaViolations, []);
  });

  it('sendMail with saveToSentItems false keeps no copy; bad bodies and recipients are 400', async () => {
    assert.equal(
      (await graph.post(`/users/${U}/sendMail`, { Message: mail(), SaveToSentItems: 'false' })).status,
      202,
    );
    assert.equal(sim.messages(USER, 'sentitems').length, 0);
    assert.equal(sim.sent[0].saveToSentItems, false);
    const noRecipients = await graph.post(`/users/${U}/sendMail`, { message: { subject: 'x' } });
    assert.equal(noRecipients.status, 400);
    assert.equal(errorCode(noRecipients), 'ErrorInvalidRecipients');
    const badAddress = await graph.post(`/users/${U}/sendMail`, {
      message: mail({ toRecipients: [{ emailAddress: { address: 'nope' } }] }),
    });
    assert.equal(errorCode(badAddress), 'ErrorInvalidRecipients');
    const badHeader = await graph.post(`/users/${U}/sendMail`, {
      message: mail({ internetMessageHeaders: [{ name: 'Foo', value: '1' }] }),
    });
    assert.equal(errorCode(badHeader), 'InvalidInternetMessageHeader');
    const strict = await graph.post(`/users/${U}/sendMail`, { message: mail({ bodyType: 'text' }) });
    assert.equal(strict.status, 400);
    const missing = await graph.post(`/users/${U}/sendMail`, { saveToSentItems: true });
    assert.equal(missing.status, 400);
    const notJson = await graph.post(`/users/${U}/sendMail`, '{"message":', {
      headers: { 'Content-Type': 'application/json' },
      transformRequest: [(data: string) => data],
    });
    assert.equal(notJson.status, 400);
    assert.match(notJson.data.error.message, /Unable to read JSON request payload/);
    assert.equal(sim.sent.length, 1);
    assert.equal(
      sim.schemaViolations.filter((v) => v.direction === 'request').length,
      2,
      JSON.stringify(sim.schemaViolations),
    );
    assert.deepEqual(
      sim.schemaViolations.filter((v) => v.direction === 'response'),
      [],
    );
  });

  it('refuses send-as another address unless granted', async () => {
    const asOther = await graph.post(`/users/${U}/sendMail`, {
      message: mail({ from: { emailAddress: { address: OTHER } } }),
    });
    assert.equal(asOther.status, 403);
    assert.equal(errorCode(asOther), 'ErrorSendAsDenied');
    sim.grantSendAs(USER, OTHER);
    assert.equal(
      (
        await graph.post(`/users/${U}/sendMail`, {
          message: mail({ from: { emailAddress: { address: OTHER } } }),
        })
      ).status,
      202,
    );
  });

  it('answers 413 for request bodies over 4 MB', async () => {
    const big = crypto.randomBytes(3.2 * 1024 * 1024).toString('base64');
    const res = await graph.post(`/users/${U}/sendMail`, {
      message: mail({
        attachments: [
          { '@odata.type': '#microsoft.graph.fileAttachment', name: 'big.bin', contentBytes: big },
        ],
      }),
    });
    assert.equal(res.status, 413);
    assert.equal(errorCode(res), 'BadRequest');
    assert.match(
      (res.data as { error: { message: string } }).error.message,
      /maximum request length supported is 4MB/,
    );
    assert.equal(sim.sent.length, 0);
  });

  it('draft path: create, add attachment, upload a large attachment in chunks, send (always saved)', async function () {
    this.timeout(30000);
    const draft = await graph.post(`/users/${U}/messages`, mail());
    assert.equal(draft.status, 201);
    assert.equal(draft.data.isDraft, true);
    const id: string = draft.data.id;
    assert.equal(sim.messages(USER, 'drafts').length, 1);

    const small = Buffer.from('hello attachment');
    const added = await graph.post(msgPath(id, '/attachments'), {
      '@odata.type': '#microsoft.graph.fileAttachment',
      name: 'small.txt',
      contentType: 'text/plain',
      contentBytes: small.toString('base64'),
    });
    assert.equal(added.status, 201);
    assert.equal(added.data.size, small.length);

    const large = crypto.randomBytes(9 * 1024 * 1024 + 123);
    const session = await graph.post(msgPath(id, '/attachments/createUploadSession'), {
      AttachmentItem: {
        attachmentType: 'file',
        name: 'large.bin',
        size: large.length,
        contentType: 'application/octet-stream',
      },
    });
    assert.equal(session.status, 201);
    assert.deepEqual(session.data.nextExpectedRanges, ['0-']);
    const uploadUrl: string = session.data.uploadUrl;
    assert.ok(uploadUrl.startsWith(`${sim.url}/`) && !uploadUrl.includes('/v1.0/'));
    const put = (from: number, to: number, headers: Record<string, string> = {}) =>
      rawClient(sim).put(uploadUrl, large.subarray(from, to + 1), {
        headers: {
          'Content-Type': 'application/octet-stream',
          'Content-Range': `bytes ${from}-${to}/${large.length}`,
          ...headers,
        },
      });
    const withAuth = await put(0, 99, {
      Authorization: graph.defaults.headers.common.Authorization as string,
    });
    assert.equal(withAuth.status, 401, 'upload URLs refuse an Authorization header');
    const outOfOrder = await put(100, 199);
    assert.equal(outOfOrder.status, 416);
    const tooBig = await put(0, 4 * 1024 * 1024);
    assert.equal(tooBig.status, 413);
    const chunk = 4 * 1024 * 1024;
    for (let from = 0; from < large.length; from += chunk) {
      const to = Math.min(from + chunk, large.length) - 1;
      const res = await put(from, to);
      if (to < large.length - 1) {
        assert.equal(res.status, 200);
        assert.deepEqual(res.data.nextExpectedRanges, [String(to + 1)]);
      } else assert.equal(res.status, 201);
    }
    const stored = sim.getMessage(USER, id);
    const uploaded = stored?.attachments.find((a) => a.name === 'large.bin');
    assert.ok(uploaded?.content.equals(large), 'byte-exact');
    assert.equal(stored?.hasAttachments, true);

    const list = await graph.get(msgPath(id, '/attachments'));
    assert.equal(list.data.value.length, 2);
    const sent = await graph.post(msgPath(id, '/send'));
    assert.equal(sent.status, 202);
    assert.equal(sim.messages(USER, 'drafts').length, 0);
    assert.equal(sim.messages(USER, 'sentitems').length, 1);
    const received = sim.messages(OTHER, 'inbox')[0];
    assert.ok(received.attachments.find((a) => a.name === 'large.bin')?.content.equals(large));
    assert.equal(sim.sent[0].via, 'draft');
    assert.equal(sim.sent[0].saveToSentItems, true);
    assert.equal((await graph.post(msgPath(id, '/send'))).status, 404, 'the draft is gone');
    assert.deepEqual(sim.schemaViolations, []);
  });

  it('expired upload sessions answer 404; bad session requests are 400', async () => {
    const draft = await graph.post(`/users/${U}/messages`, mail());
    const id: string = draft.data.id;
    const session = await graph.post(msgPath(id, '/attachments/createUploadSession'), {
      AttachmentItem: { attachmentType: 'file', name: 'x.bin', size: 10 },
    });
    sim.expireUploadSessions();
    const res = await rawClient(sim).put(session.data.uploadUrl, Buffer.alloc(10), {
      headers: { 'Content-Range': 'bytes 0-9/10' },
    });
    assert.equal(res.status, 404);
    const unknownField = await graph.post(msgPath(id, '/attachments/createUploadSession'), {
      AttachmentItem: { attachmentType: 'file', name: 'x.bin', size: 10, colour: 'red' },
    });
    assert.equal(unknownField.status, 400);
    const noItem = await graph.post(msgPath(id, '/attachments/createUploadSession'), {});
    assert.equal(noItem.status, 400);
  });

  it('serves attachments: list with contentBytes, one, $value bytes, item attachments as MIME; inline-only mail has hasAttachments false', async () => {
    const png = crypto.randomBytes(64);
    const id = sim.addMessage(USER, 'inbox', {
      subject: 'With parts',
      body: '<p>see <img src="cid:logo"></p>',
      bodyType: 'html',
      attachments: [
        {
          kind: 'file',
          name: 'logo.png',
          contentType: 'image/png',
          content: png,
          isInline: true,
          contentId: 'logo',
        },
        { kind: 'item', name: 'Forwarded', message: { subject: 'Inner mail', body: 'inner body' } },
        { kind: 'reference', name: 'Link', sourceUrl: 'https://contoso.sharepoint.example/doc' },
      ],
    });
    const inlineOnly = sim.addMessage(USER, 'inbox', {
      attachments: [{ kind: 'file', name: 'i.png', content: png, isInline: true, contentId: 'i' }],
    });
    assert.equal(sim.getMessage(USER, inlineOnly)?.hasAttachments, false);
    assert.equal(sim.getMessage(USER, id)?.hasAttachments, true);

    const list = await graph.get(msgPath(id, '/attachments'));
    assert.equal(list.status, 200);
    const [file, item, ref] = list.data.value;
    assert.equal(file['@odata.type'], '#microsoft.graph.fileAttachment');
    assert.equal(Buffer.from(file.contentBytes, 'base64').equals(png), true);
    assert.equal(file.isInline, true);
    assert.equal(file.contentId, 'logo');
    assert.equal(item['@odata.type'], '#microsoft.graph.itemAttachment');
    assert.equal(ref['@odata.type'], '#microsoft.graph.referenceAttachment');
    const one = await graph.get(msgPath(id, `/attachments/${encodeURIComponent(file.id)}`));
    assert.equal(one.data.name, 'logo.png');
    const raw = await graph.get(msgPath(id, `/attachments/${encodeURIComponent(file.id)}/$value`), {
      responseType: 'arraybuffer',
    });
    assert.ok(Buffer.from(raw.data).equals(png));
    const eml = await graph.get(msgPath(id, `/attachments/${encodeURIComponent(item.id)}/$value`), {
      responseType: 'text',
    });
    assert.match(eml.data, /Subject: Inner mail/);
    const expanded = await graph.get(
      msgPath(id, `/attachments/${encodeURIComponent(item.id)}?$expand=microsoft.graph.itemattachment/item`),
    );
    assert.equal(expanded.data.item.subject, 'Inner mail');
    const withAttachments = await graph.get(`${msgPath(id)}?$expand=attachments`);
    assert.equal(withAttachments.data.attachments.length, 3);
    assert.equal(
      (await graph.get(msgPath(id, '/attachments/AAMkAGAnotthereAAAAAAAAAAAAAAAAAAAAAA='))).status,
      404,
    );
    assert.deepEqual(sim.schemaViolations, []);
  });

  it('renders the RFC 822 mail: alternative bodies, related inline parts, base64 attachments, message/rfc822', async () => {
    const pdf = Buffer.from('%PDF-1.4 fake');
    const id = sim.addMessage(USER, 'inbox', {
      subject: 'Grüße',
      from: { name: 'Sender Name', address: 'sender@contoso.example' },
      to: [USER],
      body: '<p>Hello <img src="cid:img1"></p>',
      bodyType: 'html',
      headers: { 'X-Trace': 'abc' },
      attachments: [
        { kind: 'file', name: 'doc.pdf', contentType: 'application/pdf', content: pdf },
        {
          kind: 'file',
          name: 'img.png',
          contentType: 'image/png',
          content: Buffer.from([1, 2, 3]),
          isInline: true,
          contentId: 'img1',
        },
        { kind: 'item', name: 'Inner', message: { subject: 'Nested' } },
      ],
    });
    const res = await graph.get(msgPath(id, '/$value'), { responseType: 'text' });
    assert.equal(res.status, 200);
    const text: string = res.data;
    assert.match(text, /^Received: /);
    assert.match(text, /\r\nSubject: =\?UTF-8\?B\?R3LDvMOfZQ==\?=\r\n/);
    assert.match(text, /\r\nX-Trace: abc\r\n/);
    assert.match(text, /Content-Type: multipart\/mixed; boundary=/);
    assert.match(text, /Content-Type: multipart\/related; boundary=/);
    assert.match(text, /Content-Type: multipart\/alternative; boundary=/);
    assert.match(text, /Content-Type: text\/plain; charset="utf-8"/);
    assert.match(text, /Content-ID: <img1>/);
    assert.match(text, /Content-Disposition: attachment; filename="doc.pdf"/);
    assert.ok(text.includes(pdf.toString('base64')));
    assert.match(text, /Content-Type: message\/rfc822/);
    assert.match(text, /Subject: Nested/);
    const plain = sim.addMessage(USER, 'inbox', { body: 'just text', bodyType: 'text' });
    const simple = await graph.get(msgPath(plain, '/$value'), { responseType: 'text' });
    assert.match(
      simple.data,
      /Content-Type: text\/plain; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\nMIME-Version: 1.0\r\n\r\njust text/,
    );
  });
});
