import assert from 'node:assert/strict';
import { rejection } from '../../support/rejection';
import { prepareMime } from '../../../src/mail/mime';
import { buildOutgoingMail, type OutgoingMail } from '../../../src/mail/outbound';
import type { AnswerTo } from '../../../src/send/answer';
import { SendError } from '../../../src/send/errors';
import { Sender } from '../../../src/send/sender';
import { boss, FakeApi, outcomeUnknown, refused, unclearAnswer } from './fake-api';

const quick = { sentCopyDelaysMs: [0, 1], cleanupTimeoutMs: 1000, sentItemsWaitMs: 20, baseDelayMs: 1 };
const MB = 1024 * 1024;

function answerMail(extra: Record<string, unknown> = {}, mode: AnswerTo['mode'] = 'reply'): OutgoingMail {
  return buildOutgoingMail({
    subject: '',
    to: undefined,
    cc: undefined,
    bcc: undefined,
    payload: 'Thanks, done.',
    bodyType: 'text',
    mode,
    ...extra,
  });
}

const reply: AnswerTo = {
  mode: 'reply',
  original: { id: 'original-1', internetMessageId: '<o1@x.example>' },
};

const failure = (promise: Promise<unknown>) => rejection(promise, SendError);

type Changes = { draftId: string; changes: Record<string, unknown> };

describe('Sender: answers in a thread', () => {
  it("answers through Graph's draft: the text above the quote, Graph's recipients, then /send", async () => {
    const api = new FakeApi();
    const result = await new Sender(api, quick).answer(reply, answerMail(), true);
    assert.deepEqual(api.ops(), ['createAnswer', 'updateDraft', 'sendDraft']);
    assert.deepEqual(api.call<{ body: unknown }>(0).body, {});
    const { changes } = api.call<Changes>(1);
    assert.deepEqual(changes.toRecipients, [boss]);
    assert.equal(changes.subject, undefined, "no subject given: Graph's RE: stays");
    const body = changes.body as { contentType: string; content: string };
    assert.match(body.content, /<body>\r\n<div>Thanks, done\.<\/div>\r\n<hr><div>quoted<\/div>/);
    assert.deepEqual(result, {
      path: 'draft',
      mode: 'reply',
      savedToSentItems: true,
      internetMessageId: '<draft-1@contoso.example>',
      attachments: 0,
      warnings: [],
    });
  });

  it('adds the given recipients, replaces the subject, and forwards to the To it is given', async () => {
    const api = new FakeApi();
    await new Sender(api, quick).answer(
      reply,
      answerMail({
        to: 'peer@x.example',
        cc: 'boss@fabrikam.example',
        subject: 'Re: done',
        importance: 'high',
      }),
      true,
    );
    const { changes } = api.call<Changes>(1);
    assert.deepEqual(changes.toRecipients, [boss, { emailAddress: { address: 'peer@x.example' } }]);
    assert.deepEqual(changes.ccRecipients, [{ emailAddress: { address: 'boss@fabrikam.example' } }]);
    assert.equal(changes.subject, 'Re: done');
    assert.equal(changes.importance, 'high');
    const forwarding = new FakeApi();
    const forward: AnswerTo = { mode: 'forward', original: { id: 'original-1' } };
    await new Sender(forwarding, quick).answer(
      forward,
      answerMail({ to: 'peer@x.example' }, 'forward'),
      true,
    );
    assert.deepEqual(forwarding.call<{ body: unknown }>(0).body, {
      toRecipients: [{ emailAddress: { address: 'peer@x.example' } }],
    });
    assert.throws(() => answerMail({}, 'forward'), /no recipient to forward to/);
  });

  it('finds an original that moved by its internetMessageId', async () => {
    const api = new FakeApi();
    api.sentCopyAnswers = [['original-1']];
    await new Sender(api, quick).answer(
      { mode: 'replyAll', original: { id: 'moved-away', internetMessageId: '<o1@x.example>' } },
      answerMail(),
      true,
    );
    assert.deepEqual(api.ops().slice(0, 3), ['createAnswer', 'findByInternetMessageId', 'createAnswer']);
    assert.deepEqual(api.call<{ folder: unknown }>(1).folder, null, 'looked for in the whole mailbox');
    assert.equal(api.call<{ messageId: string }>(2).messageId, 'original-1');
  });

  it('sends nothing when the original is gone or several mails have its internetMessageId', async () => {
    const gone = new FakeApi();
    gone.sentCopyAnswers = [[]];
    const original = { id: 'moved-away', internetMessageId: '<o1@x.example>' };
    const notFound = await failure(
      new Sender(gone, quick).answer({ mode: 'reply', original }, answerMail(), true),
    );
    assert.equal(notFound.code, 'OriginalNotFound');
    assert.equal(notFound.outcome, 'not-sent');
    assert.match(
      notFound.message,
      /neither by its id nor by its internetMessageId <o1@x\.example>; it was deleted; nothing was sent/,
    );
    assert.ok(!gone.ops().includes('sendDraft'));
    const copies = new FakeApi();
    copies.sentCopyAnswers = [['a', 'b']];
    const ambiguous = await failure(
      new Sender(copies, quick).answer({ mode: 'reply', original }, answerMail(), true),
    );
    assert.equal(ambiguous.code, 'OriginalAmbiguous');
  });

  it('deletes the draft and sends nothing when completing it fails', async () => {
    const api = new FakeApi().fail('updateDraft', refused(400, 'ErrorInvalidRecipients'));
    const err = await failure(new Sender(api, quick).answer(reply, answerMail(), true));
    assert.equal(err.outcome, 'not-sent');
    assert.deepEqual(api.ops(), ['createAnswer', 'updateDraft', 'deleteMessage']);
  });

  it('puts attachments of any size on the answer draft', async () => {
    const api = new FakeApi();
    const attachments = [
      { filename: 'small.txt', content: Buffer.from('small') },
      { filename: 'big.bin', content: Buffer.alloc(5 * MB, 1) },
    ];
    await new Sender(api, quick).answer(reply, answerMail({ attachments }), true);
    assert.deepEqual(api.ops(), [
      'createAnswer',
      'updateDraft',
      'addAttachment',
      'uploadAttachment',
      'sendDraft',
    ]);
  });

  it('follows the never-twice rules of every draft: still a draft after an unclear /send, sent again once', async () => {
    const api = new FakeApi().fail('sendDraft', unclearAnswer(503));
    api.draftState = 'draft';
    await new Sender(api, quick).answer(reply, answerMail(), true);
    assert.deepEqual(
      api.ops().filter((op) => op === 'sendDraft'),
      ['sendDraft', 'sendDraft'],
    );
    const gone = new FakeApi().fail('sendDraft', outcomeUnknown());
    gone.sentCopyAnswers = [[]];
    const unknown = await failure(new Sender(gone, quick).answer(reply, answerMail(), true));
    assert.equal(unknown.outcome, 'unknown');
    assert.equal(gone.ops().filter((op) => op === 'sendDraft').length, 1, 'never sent again');
  });

  it('removes the Sent Items copy when save is off', async () => {
    const api = new FakeApi();
    const result = await new Sender(api, quick).answer(reply, answerMail(), false);
    assert.equal(result.savedToSentItems, false);
    assert.deepEqual(api.ops().slice(-2), ['findByInternetMessageId', 'deleteMessage']);
  });
});

describe('Sender: MIME', () => {
  const MIME = 'To: a@fabrikam.example\nSubject: x\nMessage-ID: <m1@contoso.example>\n\nbody\n';

  it('sends the mail as one MIME sendMail, repairs reported as warnings', async () => {
    const api = new FakeApi();
    const result = await new Sender(api, quick).sendMime(prepareMime(MIME, api.mailbox), true);
    assert.deepEqual(api.ops(), ['sendMime']);
    assert.match(api.call<{ mime: string }>(0).mime, /^To: a@fabrikam\.example\r\n/);
    assert.deepEqual(result, {
      path: 'sendMail',
      savedToSentItems: true,
      internetMessageId: '<m1@contoso.example>',
      attachments: 0,
      warnings: ['MIME repaired: line ends converted from LF to CRLF'],
    });
  });

  it('after an unclear answer, reports it sent only when its Message-ID is in Sent Items; never sends again', async () => {
    const found = new FakeApi().fail('sendMime', unclearAnswer(504));
    const sent = await new Sender(found, quick).sendMime(prepareMime(MIME, found.mailbox), true);
    assert.match(sent.warnings.at(-1) as string, /found in Sent Items: it was sent once/);
    const missing = new FakeApi().fail('sendMime', unclearAnswer(504));
    missing.sentCopyAnswers = [[]];
    const err = await failure(new Sender(missing, quick).sendMime(prepareMime(MIME, missing.mailbox), true));
    assert.equal(err.outcome, 'unknown');
    assert.match(err.message, /<m1@contoso\.example>/);
    assert.equal(missing.ops().filter((op) => op === 'sendMime').length, 1);
  });

  it('a clear refusal is not sent; save off removes the Sent Items copy', async () => {
    const refusedApi = new FakeApi().fail('sendMime', refused(400, 'ErrorMimeContentInvalid'));
    const err = await failure(new Sender(refusedApi, quick).sendMime(prepareMime(MIME, 'x@y.example'), true));
    assert.equal(err.outcome, 'not-sent');
    const api = new FakeApi();
    const result = await new Sender(api, quick).sendMime(prepareMime(MIME, api.mailbox), false);
    assert.equal(result.savedToSentItems, false);
    assert.deepEqual(api.ops(), ['sendMime', 'findByInternetMessageId', 'deleteMessage']);
  });
});
