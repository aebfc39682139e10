import assert from 'node:assert/strict';
import { buildOutgoingMail, sendMailRequestSize, type OutgoingMail } from '../../../src/mail/outbound';
import { SendError } from '../../../src/send/errors';
import { fileAttachmentSize } from '../../../src/mail/outbound';
import { packIntoDraft, Sender } from '../../../src/send/sender';
import { FakeApi, outcomeUnknown, refused, unclearAnswer } from './fake-api';
import { rejectionOf } from '../../support/rejection';

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

const failure = (promise: Promise<unknown>) => rejectionOf(promise, SendError);

const quick = {
  sentCopyDelaysMs: [0, 1, 1],
  cleanupTimeoutMs: 1000,
  sentItemsWaitMs: 20,
  baseDelayMs: 1,
};

const OUR_ID = /^<[0-9a-f-]{36}@contoso\.example>$/;

describe('Sender', () => {
  describe('a mail that fits one request', () => {
    it('is sent by exactly one sendMail carrying the message and the save choice', async () => {
      for (const save of [true, false]) {
        const api = new FakeApi();
        const result = await new Sender(api, quick).send(mail(), save);
        assert.deepEqual(api.ops(), ['sendMail']);
        const call = api.call<{
          body: { message: { subject: string; internetMessageId: string }; saveToSentItems: boolean };
        }>(0);
        assert.equal(call.body.message.subject, 'Report');
        assert.equal(call.body.saveToSentItems, save);
        assert.match(call.body.message.internetMessageId, OUR_ID, 'an Internet message id of its own');
        assert.deepEqual(result, {
          path: 'sendMail',
          savedToSentItems: save,
          internetMessageId: call.body.message.internetMessageId,
          attachments: 0,
          warnings: [],
        });
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

    it('after an unclear answer finds the mail in Sent Items by its id: sent once, with a warning', async () => {
      const api = new FakeApi().fail('sendMail', unclearAnswer(504));
      api.sentCopyAnswers = [[], ['copy-1']];
      const result = await new Sender(api, quick).send(mail(), true);
      assert.deepEqual(api.ops(), ['sendMail', 'findByInternetMessageId', 'findByInternetMessageId']);
      const asked = api.call<{ folder: string; internetMessageId: string }>(1);
      assert.equal(asked.folder, 'sentitems');
      assert.equal(asked.internetMessageId, result.internetMessageId);
      assert.deepEqual(result.warnings, [
        'Graph answered HTTP 504, request-id req-1, but the mail was found in Sent Items: it was sent once',
      ]);
    });

    it('never resends when the mail is not in Sent Items within the wait, and says it may have gone', async () => {
      const api = new FakeApi().fail('sendMail', unclearAnswer(503, 5000));
      api.sentCopyAnswers = [[]];
      const err = await failure(new Sender(api, quick).send(mail(), true));
      assert.equal(err.code, 'OutcomeUnknown');
      assert.equal(err.outcome, 'unknown');
      const id = api.call<{ body: { message: { internetMessageId: string } } }>(0).body.message
        .internetMessageId;
      assert.equal(
        err.message,
        'the mail to ann@fabrikam.example and 1 more may or may not have been sent (Graph answered HTTP 503, ' +
          `request-id req-1; not in Sent Items after 1 s); it was not sent again (Internet message id ${id})`,
      );
      assert.equal(err.internetMessageId, id);
      assert.ok(api.ops().filter((op) => op === 'findByInternetMessageId').length >= 2, 'looked again');
      assert.equal(api.ops().filter((op) => op === 'sendMail').length, 1);
    });

    it('with save off has nothing to look for: unknown at once, never resent', async () => {
      const api = new FakeApi().fail('sendMail', outcomeUnknown());
      const err = await failure(new Sender(api, quick).send(mail(), false));
      assert.equal(err.outcome, 'unknown');
      assert.match(err.message, /\(socket hang up; with save off there is no Sent Items copy to look for\)/);
      assert.deepEqual(api.ops(), ['sendMail']);
    });

    it('says so when Sent Items cannot be read, and never resends', async () => {
      const api = new FakeApi().fail('sendMail', unclearAnswer(504));
      api.fail('findByInternetMessageId', refused(403, 'ErrorAccessDenied', 'permission-missing'));
      const err = await failure(new Sender(api, quick).send(mail(), true));
      assert.equal(err.outcome, 'unknown');
      assert.match(err.message, /could not look: refused \(ErrorAccessDenied\)/);
      assert.deepEqual(api.ops(), ['sendMail', 'findByInternetMessageId']);
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

    it("rejects a mail over the tenant's maximum message size (35 MB by default) before any request", async () => {
      const api = new FakeApi();
      // 27 MB of attachment is 36 MB base64-encoded, as Exchange counts it.
      const big = Buffer.alloc(27 * MB);
      const err = await failure(
        new Sender(api, quick).send(mail([{ filename: 'big.bin', content: big }]), true),
      );
      assert.equal(err.code, 'MessageTooLarge');
      assert.equal(err.outcome, 'not-sent');
      assert.equal(err.max, 35 * MB);
      assert.ok((err.count ?? 0) > 35 * MB);
      assert.match(err.message, /is 36 MB .*more than the maximum message size of 35 MB set for the tenant/);
      assert.match(err.message, /MaxSendSize.*o365\.maxMessageSizeMB.*nothing was sent$/);
      assert.deepEqual(api.calls, []);
      const raised = new Sender(api, { ...quick, maxMessageBytes: 150 * MB });
      await raised.send(mail([{ filename: 'big.bin', content: big }]), true);
      assert.equal(api.ops()[0], 'createDraft', 'sent once the limit is raised');
    });

    it('refuses a 6th internetMessageHeader before any request, naming the count and the limit', async () => {
      const api = new FakeApi();
      const headers = Object.fromEntries([1, 2, 3, 4, 5, 6].map((i) => [`X-Tag-${i}`, String(i)]));
      const err = await failure(new Sender(api, quick).send(mail([], { headers }), true));
      assert.equal(err.code, 'TooManyHeaders');
      assert.equal(err.count, 6);
      assert.equal(err.max, 5);
      assert.match(err.message, /^the mail has 6 internet message headers, and Graph takes at most 5 /);
      assert.deepEqual(api.calls, []);
      await new Sender(api, quick).send(mail([], { headers: { ...headers, 'X-Tag-6': undefined } }), true);
      assert.deepEqual(api.ops(), ['sendMail'], 'five go');
    });

    it("explains Exchange's ErrorMessageSizeExceeded: which limit, and what an admin can change", async () => {
      const api = new FakeApi().fail('sendMail', refused(400, 'ErrorMessageSizeExceeded'));
      const err = await failure(new Sender(api, quick).send(mail(), true));
      assert.equal(err.code, 'MessageTooLarge');
      assert.equal(err.outcome, 'not-sent');
      assert.match(
        err.message,
        /not sent: Exchange refused it as larger than the mailbox's maximum message size/,
      );
      assert.match(err.message, /Set-Mailbox -MaxSendSize/);
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

    it('gives the draft an Internet message id of its own, and uses it when the answer lacks one', async () => {
      const api = new FakeApi();
      api.draftInternetMessageId = undefined;
      await new Sender(api, quick).send(mail([{ filename: 'big.bin', content: bytes(5 * MB, 6) }]), false);
      assert.deepEqual(api.ops().slice(0, 3), ['createDraft', 'uploadAttachment', 'sendDraft']);
      const ours = api.call<{ message: { internetMessageId: string } }>(0).message.internetMessageId;
      assert.match(ours, OUR_ID);
      assert.equal(
        (api.calls.find((c) => c.op === 'findByInternetMessageId') as { internetMessageId: string })
          .internetMessageId,
        ours,
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

    const large = (seed: number) => mail([{ filename: 'big.bin', content: bytes(5 * MB, seed) }]);

    it('after an unclear /send repeats /send of the same draft while it is still a draft', async () => {
      const api = new FakeApi().fail('sendDraft', unclearAnswer(503, 2));
      api.draftState = 'draft';
      const notices: number[] = [];
      const result = await new Sender(api, { ...quick, onRetry: (n) => notices.push(n.delayMs) }).send(
        large(10),
        true,
      );
      assert.deepEqual(api.ops(), [
        'createDraft',
        'uploadAttachment',
        'sendDraft',
        'getMessage',
        'sendDraft',
      ]);
      assert.deepEqual(api.calls[4], { op: 'sendDraft', draftId: 'draft-1' }, 'the same draft');
      assert.deepEqual(notices, [2], "Graph's Retry-After, in full");
      assert.deepEqual(result.warnings, ['sent when /send of its draft was repeated (attempt 2)']);
    });

    it('after an unclear /send finds the draft gone and in Sent Items: sent once', async () => {
      const api = new FakeApi().fail('sendDraft', unclearAnswer(504));
      api.draftState = 'gone';
      const result = await new Sender(api, quick).send(large(12), true);
      assert.deepEqual(api.ops(), [
        'createDraft',
        'uploadAttachment',
        'sendDraft',
        'getMessage',
        'findByInternetMessageId',
      ]);
      assert.match(result.warnings[0], /^Graph answered HTTP 504.*found in Sent Items: it was sent once$/);
    });

    it('a draft no longer a draft counts as sent too, once Sent Items shows it', async () => {
      const api = new FakeApi().fail('sendDraft', outcomeUnknown());
      api.draftState = 'sent';
      api.sentCopyAnswers = [[], ['copy']];
      const result = await new Sender(api, quick).send(large(13), true);
      assert.equal(result.path, 'draft');
      assert.equal(api.ops().filter((op) => op === 'sendDraft').length, 1);
    });

    it('keeps the draft and never resends when it left Drafts but does not show in Sent Items', async () => {
      const api = new FakeApi().fail('sendDraft', unclearAnswer(504));
      api.draftState = 'gone';
      api.sentCopyAnswers = [[]];
      const err = await failure(new Sender(api, quick).send(large(14), true));
      assert.equal(err.code, 'OutcomeUnknown');
      assert.match(err.message, /left Drafts but was not in Sent Items after 1 s.*not sent again/);
      assert.equal(api.ops().filter((op) => op === 'sendDraft').length, 1);
      assert.ok(!api.ops().includes('deleteMessage'));
    });

    it('takes a repeat answered 404 as the earlier /send having gone, and checks', async () => {
      const api = new FakeApi()
        .fail('sendDraft', unclearAnswer(504))
        .fail('sendDraft', refused(404, 'ErrorItemNotFound', 'item-not-found'));
      let reads = 0;
      const getMessage = api.getMessage.bind(api);
      api.getMessage = async (...args) => {
        api.draftState = reads++ === 0 ? 'draft' : 'gone';
        return getMessage(...args);
      };
      const result = await new Sender(api, quick).send(large(15), true);
      assert.equal(api.ops().filter((op) => op === 'sendDraft').length, 2);
      assert.ok(!api.ops().includes('deleteMessage'), 'the draft went: nothing to clean up');
      assert.match(result.warnings[0], /found in Sent Items: it was sent once/);
    });

    it('gives up as unknown, draft kept, when the repeats allowed are used up', async () => {
      const api = new FakeApi()
        .fail('sendDraft', outcomeUnknown())
        .fail('sendDraft', outcomeUnknown())
        .fail('sendDraft', outcomeUnknown());
      api.draftState = 'draft';
      const err = await failure(new Sender(api, { ...quick, maxAttempts: 2 }).send(large(16), true));
      assert.equal(api.ops().filter((op) => op === 'sendDraft').length, 2);
      assert.equal(err.outcome, 'unknown');
      assert.match(err.message, /still a draft, and the repeats allowed are used up.*still in Drafts/);
    });

    it('gives up as unknown when Graph asks for a longer wait than allowed', async () => {
      const api = new FakeApi().fail('sendDraft', unclearAnswer(503, 600_000));
      api.draftState = 'draft';
      const err = await failure(new Sender(api, { ...quick, maxWaitMs: 1000 }).send(large(17), true));
      assert.equal(api.ops().filter((op) => op === 'sendDraft').length, 1);
      assert.equal(err.outcome, 'unknown');
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
