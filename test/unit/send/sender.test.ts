import assert from 'node:assert/strict';
import { buildOutgoingMail, sendMailRequestSize, type OutgoingMail } from '../../../src/mail/outbound';
import { SendError } from '../../../src/send/errors';
import { fileAttachmentSize } from '../../../src/mail/outbound';
import { packIntoDraft, Sender } from '../../../src/send/sender';
import { FakeApi, outcomeUnknown, refused } from './fake-api';

const MB = 1024 * 1024;

function mail(
  attachments: { filename: string; content: Buffer; cid?: string }[] = [],
  extra = {},
): OutgoingMail {
  return buildOutgoingMail({
    subject: 'Report',
    to: 'ann@fabrikam.example, bob@fabrikam.example',
    cc: undefined,
    bcc: undefined,
    payload: 'Hello',
    attachments,
    bodyType: 'auto',
    ...extra,
  });
}

/** Distinct bytes, so a mixed-up chunk or attachment would show. */
function bytes(size: number, seed: number): Buffer {
  const buffer = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) buffer[i] = (i * 31 + seed) & 0xff;
  return buffer;
}

async function failure(promise: Promise<unknown>): Promise<SendError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof SendError, `expected a SendError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the send to fail');
}

const quick = { sentCopyDelaysMs: [0, 1, 1], cleanupTimeoutMs: 1000 };

describe('Sender', () => {
  describe('a mail that fits one request', () => {
    it('is sent by exactly one sendMail carrying the message and the save choice', async () => {
      for (const save of [true, false]) {
        const api = new FakeApi();
        const result = await new Sender(api, quick).send(mail(), save);
        assert.deepEqual(api.ops(), ['sendMail']);
        const call = api.call<{ body: { message: { subject: string }; saveToSentItems: boolean } }>(0);
        assert.equal(call.body.message.subject, 'Report');
        assert.equal(call.body.saveToSentItems, save);
        assert.deepEqual(result, { path: 'sendMail', savedToSentItems: save, attachments: 0, warnings: [] });
      }
    });

    it('carries small attachments inline, each base64 of the original bytes', async () => {
      const api = new FakeApi();
      const files = [
        { filename: 'a.bin', content: bytes(1000, 1) },
        { filename: 'logo.png', content: bytes(500, 2), cid: 'logo' },
      ];
      const result = await new Sender(api, quick).send(mail(files), true);
      assert.equal(result.attachments, 2);
      const body = api.call<{ body: { message: { attachments: Record<string, unknown>[] } } }>(0).body;
      const sent = body.message.attachments;
      assert.deepEqual(
        sent.map((a) => Buffer.from(String(a.contentBytes), 'base64')),
        files.map((f) => f.content),
      );
      assert.equal(sent[1].isInline, true);
      assert.equal(sent[1].contentId, 'logo');
    });

    it('reports a refusal as not sent, naming the recipient, and does not try again', async () => {
      const api = new FakeApi().fail('sendMail', refused());
      const err = await failure(new Sender(api, quick).send(mail(), true));
      assert.equal(err.code, 'Failed');
      assert.equal(err.outcome, 'not-sent');
      assert.match(err.message, /ann@fabrikam\.example and 1 more not sent/);
      assert.equal(err.o365Error?.code, 'ErrorInvalidRecipients');
      assert.equal(err.recipients, 'ann@fabrikam.example and 1 more');
      assert.match(err.problem, /^refused \(ErrorInvalidRecipients\)/);
      assert.deepEqual(api.ops(), ['sendMail']);
    });

    it('never resends when the outcome is unknown, and says the mail may have gone', async () => {
      const api = new FakeApi().fail('sendMail', outcomeUnknown());
      const err = await failure(new Sender(api, quick).send(mail(), true));
      assert.equal(err.code, 'OutcomeUnknown');
      assert.equal(err.outcome, 'unknown');
      assert.match(err.message, /may or may not have been sent .*it was not sent again/);
      assert.deepEqual(api.ops(), ['sendMail']);
    });

    it('treats a send aborted by a closing node as of unknown outcome', async () => {
      const api = new FakeApi();
      const controller = new AbortController();
      const sending = new Sender(api, quick).send(mail(), true, controller.signal);
      controller.abort(new Error('node closed'));
      const err = await failure(sending);
      assert.equal(err.outcome, 'unknown');
      assert.match(err.message, /the node stopped while sending/);
    });

    it('rejects a mail over the 150 MB tenant limit before any request', async () => {
      const api = new FakeApi();
      const huge = Buffer.alloc(151 * MB);
      const err = await failure(
        new Sender(api, quick).send(mail([{ filename: 'huge.bin', content: huge }]), true),
      );
      assert.equal(err.code, 'BadInput');
      assert.match(err.message, /150 MB.*nothing was sent/);
      assert.deepEqual(api.calls, []);
    });
  });

  describe('a mail over 4 MB (draft path)', () => {
    it('creates a draft, uploads a large attachment by session, then sends the draft', async () => {
      const api = new FakeApi();
      const big = bytes(5 * MB, 3);
      const result = await new Sender(api, quick).send(mail([{ filename: 'big.bin', content: big }]), true);
      assert.deepEqual(api.ops(), ['createDraft', 'uploadAttachment', 'sendDraft']);
      const draft = api.calls[0] as { message: Record<string, unknown> };
      assert.equal(draft.message.attachments, undefined, 'the large file is not in the draft request');
      assert.equal(draft.message.subject, 'Report');
      assert.deepEqual(api.calls[1], {
        op: 'uploadAttachment',
        draftId: 'draft-1',
        name: 'big.bin',
        bytes: 5 * MB,
      });
      assert.deepEqual(result, {
        path: 'draft',
        savedToSentItems: true,
        internetMessageId: '<draft-1@contoso.example>',
        attachments: 1,
        warnings: [],
      });
    });

    it('puts small attachments into the draft while it fits 4 MB and POSTs the rest in order', async () => {
      const api = new FakeApi();
      const files = [1, 2, 3, 4].map((n) => ({ filename: `part${n}.bin`, content: bytes(2 * MB, n) }));
      await new Sender(api, quick).send(mail(files), true);
      assert.deepEqual(api.ops(), [
        'createDraft',
        'addAttachment',
        'addAttachment',
        'addAttachment',
        'sendDraft',
      ]);
      const inDraft = api.call<{ message: { attachments: { name: string; contentBytes: string }[] } }>(0)
        .message.attachments;
      assert.deepEqual(
        inDraft.map((a) => a.name),
        ['part1.bin'],
      );
      assert.deepEqual(Buffer.from(inDraft[0].contentBytes, 'base64'), files[0].content);
      const posted = [1, 2, 3].map((i) =>
        api.call<{ attachment: { name: string; contentBytes: string } }>(i),
      );
      assert.deepEqual(
        posted.map((c) => c.attachment.name),
        ['part2.bin', 'part3.bin', 'part4.bin'],
      );
      posted.forEach((c, i) =>
        assert.deepEqual(Buffer.from(c.attachment.contentBytes, 'base64'), files[i + 1].content),
      );
    });

    it('with save false removes the Sent Items copy that /send always files', async () => {
      const api = new FakeApi();
      api.sentCopyAnswers = [[], ['copy-9']];
      const result = await new Sender(api, quick).send(
        mail([{ filename: 'big.bin', content: bytes(5 * MB, 4) }]),
        false,
      );
      assert.deepEqual(api.ops(), [
        'createDraft',
        'uploadAttachment',
        'sendDraft',
        'findByInternetMessageId',
        'findByInternetMessageId',
        'deleteMessage',
      ]);
      assert.deepEqual(api.calls[3], {
        op: 'findByInternetMessageId',
        folder: 'sentitems',
        internetMessageId: '<draft-1@contoso.example>',
      });
      assert.deepEqual(api.calls[5], { op: 'deleteMessage', id: 'copy-9' });
      assert.equal(result.savedToSentItems, false);
      assert.deepEqual(result.warnings, []);
    });

    it('with save false warns, after a bounded search, when the copy never shows', async () => {
      const api = new FakeApi();
      api.sentCopyAnswers = [[]];
      const result = await new Sender(api, quick).send(
        mail([{ filename: 'big.bin', content: bytes(5 * MB, 5) }]),
        false,
      );
      assert.equal(
        api.ops().filter((op) => op === 'findByInternetMessageId').length,
        quick.sentCopyDelaysMs.length,
      );
      assert.equal(result.savedToSentItems, true);
      assert.match(result.warnings[0], /Sent Items could not be removed: it did not appear/);
    });

    it('asks for the Internet message id before sending when the draft answer lacks it', async () => {
      const api = new FakeApi();
      api.draftInternetMessageId = undefined;
      await new Sender(api, quick).send(mail([{ filename: 'big.bin', content: bytes(5 * MB, 6) }]), false);
      assert.deepEqual(api.ops().slice(0, 4), ['createDraft', 'uploadAttachment', 'getMessage', 'sendDraft']);
      assert.equal(
        (api.calls.find((c) => c.op === 'findByInternetMessageId') as { internetMessageId: string })
          .internetMessageId,
        '<asked-later@contoso.example>',
      );
    });

    it('deletes its draft and reports not sent when an upload fails', async () => {
      const api = new FakeApi().fail('uploadAttachment', outcomeUnknown());
      const err = await failure(
        new Sender(api, quick).send(mail([{ filename: 'big.bin', content: bytes(5 * MB, 7) }]), true),
      );
      assert.deepEqual(api.ops(), ['createDraft', 'uploadAttachment', 'deleteMessage']);
      assert.deepEqual(api.calls[2], { op: 'deleteMessage', id: 'draft-1' });
      assert.equal(err.outcome, 'not-sent');
      assert.match(err.message, /not sent: could not attach the files to the draft/);
    });

    it('deletes its draft when a small attachment is refused', async () => {
      const api = new FakeApi().fail('addAttachment', refused(413, 'RequestEntityTooLarge'));
      const files = [1, 2].map((n) => ({ filename: `part${n}.bin`, content: bytes(2 * MB, n) }));
      const err = await failure(new Sender(api, quick).send(mail(files), true));
      assert.deepEqual(api.ops(), ['createDraft', 'addAttachment', 'deleteMessage']);
      assert.equal(err.code, 'Failed');
    });

    it('reports not sent when the draft cannot be created, leaving nothing to delete', async () => {
      const api = new FakeApi().fail('createDraft', refused(403, 'ErrorAccessDenied'));
      const err = await failure(
        new Sender(api, quick).send(mail([{ filename: 'big.bin', content: bytes(5 * MB, 8) }]), true),
      );
      assert.deepEqual(api.ops(), ['createDraft']);
      assert.match(err.message, /not sent: could not create the draft/);
    });

    it('deletes the draft when /send is refused', async () => {
      const api = new FakeApi().fail('sendDraft', refused());
      const err = await failure(
        new Sender(api, quick).send(mail([{ filename: 'big.bin', content: bytes(5 * MB, 9) }]), true),
      );
      assert.deepEqual(api.ops(), ['createDraft', 'uploadAttachment', 'sendDraft', 'deleteMessage']);
      assert.equal(err.outcome, 'not-sent');
    });

    it('keeps the draft and never resends when the outcome of /send is unknown', async () => {
      const api = new FakeApi().fail('sendDraft', outcomeUnknown());
      const err = await failure(
        new Sender(api, quick).send(mail([{ filename: 'big.bin', content: bytes(5 * MB, 10) }]), true),
      );
      assert.deepEqual(api.ops(), ['createDraft', 'uploadAttachment', 'sendDraft']);
      assert.equal(err.code, 'OutcomeUnknown');
      assert.match(err.message, /may or may not have been sent.*still in Drafts/);
    });

    it('reports a closing node as not sent and cleans the draft up when stopped before /send', async () => {
      const api = new FakeApi();
      const controller = new AbortController();
      const sender = new Sender(api, {
        ...quick,
        onStep: (step) => step === 'upload-attachment' && controller.abort(),
      });
      const err = await failure(
        sender.send(mail([{ filename: 'big.bin', content: bytes(5 * MB, 11) }]), true, controller.signal),
      );
      assert.equal(err.code, 'Closed');
      assert.equal(err.outcome, 'not-sent');
      assert.deepEqual(api.ops(), ['createDraft', 'uploadAttachment', 'deleteMessage']);
    });
  });

  describe('packIntoDraft', () => {
    it('measures attachments exactly as the request will be serialised', () => {
      const files = [
        { filename: 'ä ö.txt', content: bytes(10, 1) },
        { filename: 'b "quoted".bin', content: bytes(1001, 2), cid: 'x@y' },
        { filename: 'c.bin', content: bytes(2, 3) },
      ];
      const m = mail(files);
      const empty = sendMailRequestSize({ ...m, attachments: [] }, true);
      const withAll = sendMailRequestSize(m, true);
      const computed =
        empty +
        ',"attachments":[]'.length +
        m.attachments.reduce((n, a) => n + fileAttachmentSize(a), 0) +
        files.length -
        1;
      assert.equal(computed, withAll);
    });

    it('packs nothing when the first small attachment would push the draft over 4 MB', () => {
      const m = mail([{ filename: 'a.bin', content: bytes(2 * MB, 1) }], { payload: 'x'.repeat(3 * MB) });
      const { inDraft, posted } = packIntoDraft(m, m.attachments, true);
      assert.deepEqual(inDraft, []);
      assert.equal(posted.length, 1);
    });
  });
});
