/**
 * Graph's send-side rules as the simulator models them (README "Fidelity"): at most 5 internetMessageHeaders, requests
 * that are processed and then answered 503/504, Retry-After of any length, the upload volume per app and mailbox, the
 * maximum message size and the request size limit.
 */
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import type { AxiosInstance } from 'axios';
import { startSimulator, type Simulator } from './index';
import { errorCode, msgPath, rawClient, U, USER, simulatorPerTest } from './test-helpers';

const OTHER = 'other@contoso.example';
const MiB = 1024 * 1024;

function mail(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    subject: 'Hello',
    body: { contentType: 'text', content: 'Hi' },
    toRecipients: [{ emailAddress: { address: OTHER } }],
    ...extra,
  };
}

/** PUTs byte ranges to an upload URL. */
function uploader(sim: Simulator, url: string, size: number, fill: number) {
  return (from: number, to: number) =>
    rawClient(sim).put(url, Buffer.alloc(to - from + 1, fill), {
      headers: { 'Content-Range': `bytes ${from}-${to}/${size}`, 'Content-Type': 'application/octet-stream' },
    });
}

function headers(n: number): { name: string; value: string }[] {
  return Array.from({ length: n }, (_, i) => ({ name: `x-custom-${i + 1}`, value: `v${i + 1}` }));
}

describe('simulator fidelity: sending', function () {
  this.timeout(30_000);
  let sim: Simulator;
  let graph: AxiosInstance;

  simulatorPerTest({ mailboxes: [USER, OTHER] }, (started, client) => {
    sim = started;
    graph = client;
  });

  it('refuses a 6th internetMessageHeader with 400 InvalidInternetMessageHeaderCollection; 5 are fine', async () => {
    const six = await graph.post(`/users/${U}/sendMail`, {
      message: mail({ internetMessageHeaders: headers(6) }),
    });
    assert.equal(six.status, 400);
    assert.equal(errorCode(six), 'InvalidInternetMessageHeaderCollection');
    assert.equal(
      (six.data as { error: { message: string } }).error.message,
      'Maximum number of headers in one message should be less than or equal to 5.',
    );
    assert.equal(sim.sent.length, 0);
    const draft = await graph.post(`/users/${U}/messages`, mail({ internetMessageHeaders: headers(6) }));
    assert.equal(draft.status, 400, 'a draft too');
    const five = await graph.post(`/users/${U}/sendMail`, {
      message: mail({ internetMessageHeaders: headers(5) }),
    });
    assert.equal(five.status, 202);
    assert.equal(sim.sent.length, 1);
  });

  it('failAfterNext: sendMail and /send take effect, then answer 503/504', async () => {
    sim.failAfterNext(1, 504, { match: { operation: 'sendMail' } });
    const sent = await graph.post(`/users/${U}/sendMail`, { message: mail({ subject: 'went anyway' }) });
    assert.equal(sent.status, 504);
    assert.equal(errorCode(sent), 'GatewayTimeout');
    assert.equal(sim.sent.length, 1, 'the mail was sent');
    assert.equal(sim.messages(OTHER, 'inbox').length, 1, 'and delivered');

    const draft = await graph.post(`/users/${U}/messages`, mail({ subject: 'draft went anyway' }));
    sim.failAfterNext(1, 503, { retryAfter: 120, match: { operation: 'sendDraft' } });
    const send = await graph.post(msgPath(draft.data.id as string, '/send'));
    assert.equal(send.status, 503);
    assert.equal(send.headers['retry-after'], '120');
    assert.equal(sim.sent.length, 2);
    assert.equal(sim.messages(USER, 'drafts').length, 0, 'the draft left Drafts');
    assert.equal(sim.messages(USER, 'sentitems').length, 2);
  });

  it('failAfterNext applies to upload chunks and whole $batch requests too', async () => {
    const draft = await graph.post(`/users/${U}/messages`, mail());
    const id = draft.data.id as string;
    const session = await graph.post(msgPath(id, '/attachments/createUploadSession'), {
      AttachmentItem: { attachmentType: 'file', name: 'a.bin', size: 10 },
    });
    sim.failAfterNext(1, 503, { match: { operation: 'uploadChunk' } });
    const put = await rawClient(sim).put(session.data.uploadUrl as string, Buffer.alloc(10, 1), {
      headers: { 'Content-Range': 'bytes 0-9/10', 'Content-Type': 'application/octet-stream' },
    });
    assert.equal(put.status, 503);
    assert.equal(sim.getMessage(USER, id)?.attachments.length, 1, 'the chunk was stored');

    const [m] = sim.seedMessages(USER, 'inbox', 1);
    sim.failAfterNext(1, 504, { match: { operation: 'batch' } });
    const batch = await graph.post('/$batch', {
      requests: [
        {
          id: '1',
          method: 'PATCH',
          url: `/users/${U}/messages/${encodeURIComponent(m)}`,
          headers: { 'Content-Type': 'application/json' },
          body: { isRead: true },
        },
      ],
    });
    assert.equal(batch.status, 504);
    assert.equal(sim.getMessage(USER, m)?.isRead, true, 'the items ran');
  });

  it('keeps the internetMessageId a sendMail or a draft gives, so the mail can be found by it in Sent Items', async () => {
    const id = '<0b2d4f6a-1c3e-4a5b-8d7f-9e1a2b3c4d5e@contoso.example>';
    assert.equal(
      (await graph.post(`/users/${U}/sendMail`, { message: mail({ internetMessageId: id }) })).status,
      202,
    );
    const found = await graph.get(`/users/${U}/mailFolders/sentitems/messages`, {
      params: { $filter: `internetMessageId eq '${id}'`, $select: 'id,internetMessageId' },
    });
    assert.equal(found.data.value.length, 1);
    const draftId = '<6f5e4d3c-2b1a-4c9d-8e7f-0a1b2c3d4e5f@contoso.example>';
    const draft = await graph.post(`/users/${U}/messages`, mail({ internetMessageId: draftId }));
    assert.equal(draft.data.internetMessageId, draftId);
    assert.equal((await graph.post(msgPath(draft.data.id, '/send'))).status, 202);
    assert.equal((await graph.get(msgPath(draft.data.id))).status, 404, 'a sent draft leaves Drafts');
    assert.equal((await graph.post(msgPath(draft.data.id, '/send'))).status, 404, 'and is not sent again');
    assert.equal(sim.messages(USER, 'sentitems').filter((m) => m.internetMessageId === draftId).length, 1);
  });

  it('files the Sent Items copy sentItemsLagMs after the send (quirk), the recipients get it at once', async () => {
    sim.setQuirks({ sentItemsLagMs: 300 });
    assert.equal(
      (await graph.post(`/users/${U}/sendMail`, { message: mail({ subject: 'late copy' }) })).status,
      202,
    );
    const copies = () => sim.messages(USER, 'sentitems').filter((m) => m.subject === 'late copy').length;
    assert.equal(copies(), 0, 'not filed yet');
    assert.equal(sim.messages(OTHER, 'inbox').filter((m) => m.subject === 'late copy').length, 1);
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(copies(), 1);
  });

  it('answers Retry-After of any length on 429 and 503', async () => {
    sim.throttleNext(1, { retryAfter: 120 });
    const throttled = await graph.get(`/users/${U}/mailFolders/inbox/messages`);
    assert.equal(throttled.status, 429);
    assert.equal(throttled.headers['retry-after'], '120');
    sim.failNext(1, 503, { retryAfter: 900 });
    const busy = await graph.get(`/users/${U}/mailFolders/inbox/messages`);
    assert.equal(busy.status, 503);
    assert.equal(busy.headers['retry-after'], '900');
  });

  it('limits uploads per app and mailbox: 429 with a Retry-After when over the window, fine again after it', async () => {
    sim.setUploadLimit({ bytes: 3 * MiB, windowMs: 1500 });
    const chunk = crypto.randomBytes(MiB).toString('base64'); // ~1.33 MiB of JSON per request
    const post = () =>
      graph.post(`/users/${U}/messages`, mail({ body: { contentType: 'text', content: chunk } }));
    assert.equal((await post()).status, 201);
    assert.equal((await post()).status, 201);
    const over = await post();
    assert.equal(over.status, 429);
    assert.equal(errorCode(over), 'ApplicationThrottled');
    const wait = Number(over.headers['retry-after']);
    assert.ok(wait >= 1 && wait <= 2, `Retry-After ${wait}`);
    // Another mailbox has its own budget.
    assert.equal(
      (
        await graph.post(
          `/users/${encodeURIComponent(OTHER)}/messages`,
          mail({ body: { contentType: 'text', content: chunk } }),
        )
      ).status,
      201,
    );
    await new Promise((r) => setTimeout(r, 1600));
    assert.equal((await post()).status, 201);
  });

  it('counts upload session chunks against the upload volume', async () => {
    sim.setUploadLimit({ bytes: 2 * MiB, windowMs: 60_000 });
    const draft = await graph.post(`/users/${U}/messages`, mail());
    const id = draft.data.id as string;
    const size = 3 * MiB;
    const session = await graph.post(msgPath(id, '/attachments/createUploadSession'), {
      AttachmentItem: { attachmentType: 'file', name: 'big.bin', size },
    });
    const put = uploader(sim, session.data.uploadUrl as string, size, 2);
    assert.equal((await put(0, MiB - 1)).status, 200);
    assert.equal((await put(MiB, 2 * MiB - 1)).status, 429);
  });

  it('starts with the documented defaults: 150 MiB per 5 minutes, 35 MiB messages, 4 MiB requests', async () => {
    assert.deepEqual(sim.tenantLimits(), {
      maxRequestBytes: 4 * MiB,
      maxMessageBytes: 35 * MiB,
      uploadLimit: { bytes: 150 * MiB, windowMs: 300_000 },
    });
    sim.setMaxMessageSize(50 * MiB, OTHER);
    assert.equal(sim.tenantLimits(OTHER).maxMessageBytes, 50 * MiB);
    const off = await startSimulator({
      uploadLimit: null,
      maxMessageBytes: 150 * MiB,
      maxRequestBytes: 1000,
    });
    assert.deepEqual(off.tenantLimits(), {
      maxRequestBytes: 1000,
      maxMessageBytes: 150 * MiB,
      uploadLimit: null,
    });
    await off.stop();
  });

  describe('maximum message size (MaxSendSize)', () => {
    it('refuses a draft, an attachment, a sendMail or an upload chunk that takes the message over it', async () => {
      sim.setMaxMessageSize(2 * MiB, USER);
      // 1.6 MiB of raw bytes is about 2.1 MiB once base64-encoded, as Exchange counts it.
      const raw = crypto.randomBytes(Math.floor(1.6 * MiB));
      const file = {
        '@odata.type': '#microsoft.graph.fileAttachment',
        name: 'f.bin',
        contentBytes: raw.toString('base64'),
      };
      const sendMail = await graph.post(`/users/${U}/sendMail`, { message: mail({ attachments: [file] }) });
      assert.equal(sendMail.status, 400);
      assert.equal(errorCode(sendMail), 'ErrorMessageSizeExceeded');
      assert.equal(sim.sent.length, 0);
      assert.equal((await graph.post(`/users/${U}/messages`, mail({ attachments: [file] }))).status, 400);
      const draft = await graph.post(`/users/${U}/messages`, mail());
      const id = draft.data.id as string;
      const added = await graph.post(msgPath(id, '/attachments'), file);
      assert.equal(added.status, 400);
      assert.equal(errorCode(added), 'ErrorMessageSizeExceeded');
      assert.equal(sim.getMessage(USER, id)?.attachments.length, 0);

      // Upload sessions: the session is granted; the chunk that crosses the limit fails and ends the session.
      const size = 3 * MiB;
      const session = await graph.post(msgPath(id, '/attachments/createUploadSession'), {
        AttachmentItem: { attachmentType: 'file', name: 'big.bin', size },
      });
      assert.equal(session.status, 201);
      const put = uploader(sim, session.data.uploadUrl as string, size, 3);
      assert.equal((await put(0, MiB - 1)).status, 200);
      const crossing = await put(MiB, 2 * MiB - 1);
      assert.equal(crossing.status, 400);
      assert.equal(errorCode(crossing), 'ErrorMessageSizeExceeded');
      assert.equal((await put(MiB, 2 * MiB - 1)).status, 404, 'the session is gone');

      // Another mailbox keeps the default (35 MiB).
      const other = await graph.post(`/users/${encodeURIComponent(OTHER)}/sendMail`, {
        message: { ...mail({ attachments: [file] }), toRecipients: [{ emailAddress: { address: USER } }] },
      });
      assert.equal(other.status, 202);
    });

    it('accepts up to 150 MiB and refuses more', () => {
      sim.setMaxMessageSize(150 * MiB);
      assert.throws(() => sim.setMaxMessageSize(150 * MiB + 1), /150 MiB/);
    });
  });

  it('refuses request bodies over maxRequestBytes with 413, also one just under 4 MB when the effective limit is lower', async () => {
    sim.setMaxRequestBytes(4_000_000);
    const content = 'x'.repeat(4_050_000);
    const res = await graph.post(`/users/${U}/sendMail`, {
      message: mail({ body: { contentType: 'text', content } }),
    });
    assert.ok(JSON.stringify({ message: mail({ body: { contentType: 'text', content } }) }).length < 4 * MiB);
    assert.equal(res.status, 413);
    assert.equal(sim.sent.length, 0);
    sim.setMaxRequestBytes(4 * MiB);
    assert.equal(
      (
        await graph.post(`/users/${U}/sendMail`, {
          message: mail({ body: { contentType: 'text', content } }),
        })
      ).status,
      202,
    );
  });
});
