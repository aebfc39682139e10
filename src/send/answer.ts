/**
 * The draft of an answer in a thread (mail out's `mode` reply, replyAll, forward): Graph's createReply,
 * createReplyAll or createForward makes it from the original (thread, default recipients, quoted original), then one
 * PATCH puts the flow's text above the quote and adds its recipients (src/mail/answer.ts). The original is
 * `msg.o365.id`; when that no longer finds it (moved), its internetMessageId does, or the answer fails with nothing
 * sent. Sending the draft is the Sender's (src/send/sender.ts), with the never-twice rules of every draft.
 */
import { SendErrorCodes } from '../graph/error-codes';
import { isItemGone } from '../graph/errors';
import type { GraphMessage, MailApi } from '../graph/mail-api';
import { addRecipients, textAboveQuote, type AnswerMode } from '../mail/answer';
import type { GraphRecipient, OutgoingMail } from '../mail/outbound';
import { SendError } from './errors';

/** What to answer and how. */
export interface AnswerTo {
  mode: AnswerMode;
  /** The mail to answer: its id (msg.o365.id) and, to find it after a move, its internetMessageId. */
  original: { id?: string; internetMessageId?: string };
}

export type AnswerApi = Pick<MailApi, 'mailbox' | 'createAnswer' | 'findByInternetMessageId'>;

/** The draft as Graph made it: its id and internetMessageId, and what the PATCH builds on. */
export interface AnswerDraft {
  id: string;
  internetMessageId: string;
  body: { contentType: 'text' | 'html'; content: string };
  toRecipients: GraphRecipient[];
  ccRecipients: GraphRecipient[];
  bccRecipients: GraphRecipient[];
}

/**
 * Creates the answer's draft. Throws a SendError OriginalNotFound or OriginalAmbiguous (nothing sent), or the error
 * of the request (the caller says nothing was sent).
 */
export async function createAnswerDraft(
  api: AnswerApi,
  to: AnswerTo,
  mail: OutgoingMail,
  signal?: AbortSignal,
): Promise<AnswerDraft> {
  // createForward wants its recipients in the request (message-createforward); replies get theirs from the original.
  const body = to.mode === 'forward' ? { toRecipients: mail.message.toRecipients } : {};
  const { id, internetMessageId } = to.original;
  if (id) {
    try {
      return draftOf(await api.createAnswer(to.mode, id, body, signal));
    } catch (err) {
      if (!isItemGone(err) || !internetMessageId) throw gone(to, err);
    }
  }
  const found = await api.findByInternetMessageId(null, internetMessageId as string, signal);
  if (found.length !== 1) throw gone(to, undefined, found.length);
  return draftOf(await api.createAnswer(to.mode, found[0], body, signal));
}

/**
 * The PATCH of the draft: the flow's text above the quote, its To, Cc and Bcc added to Graph's, and its subject,
 * importance, Reply-To and headers where it gave them (an empty subject keeps Graph's "RE: ..." / "FW: ...").
 */
export function answerChanges(draft: AnswerDraft, mail: OutgoingMail): Record<string, unknown> {
  const m = mail.message;
  const changes: Record<string, unknown> = {
    toRecipients: addRecipients(draft.toRecipients, m.toRecipients),
    ccRecipients: addRecipients(draft.ccRecipients, m.ccRecipients),
    bccRecipients: addRecipients(draft.bccRecipients, m.bccRecipients),
  };
  const body = textAboveQuote(draft.body, m.body);
  if (body !== draft.body) changes.body = body;
  if (m.subject.trim() !== '') changes.subject = m.subject;
  if (m.importance) changes.importance = m.importance;
  if (m.replyTo?.length) changes.replyTo = m.replyTo;
  if (m.internetMessageHeaders?.length) changes.internetMessageHeaders = m.internetMessageHeaders;
  return changes;
}

/** The mail as it goes out (the draft's recipients and id), for what the node reports. */
export function answeredMail(
  mail: OutgoingMail,
  draft: AnswerDraft,
  changes: Record<string, unknown>,
): OutgoingMail {
  return {
    ...mail,
    message: {
      ...mail.message,
      toRecipients: changes.toRecipients as GraphRecipient[],
      ccRecipients: changes.ccRecipients as GraphRecipient[],
      bccRecipients: changes.bccRecipients as GraphRecipient[],
      internetMessageId: draft.internetMessageId,
    },
  };
}

function draftOf(message: GraphMessage): AnswerDraft {
  const list = (value: unknown) => (Array.isArray(value) ? (value as GraphRecipient[]) : []);
  const body = (message.body ?? {}) as { contentType?: unknown; content?: unknown };
  return {
    id: message.id,
    internetMessageId: typeof message.internetMessageId === 'string' ? message.internetMessageId : '',
    body: {
      contentType: String(body.contentType).toLowerCase() === 'text' ? 'text' : 'html',
      content: typeof body.content === 'string' ? body.content : '',
    },
    toRecipients: list(message.toRecipients),
    ccRecipients: list(message.ccRecipients),
    bccRecipients: list(message.bccRecipients),
  };
}

/** The original is not there (or a request failed for another reason, passed on as it is). */
function gone(to: AnswerTo, err: unknown, matches = 0): unknown {
  if (err !== undefined && !isItemGone(err)) return err;
  const what = { reply: 'reply to', replyAll: 'reply to', forward: 'forward' }[to.mode];
  const imid = to.original.internetMessageId;
  if (matches > 1) {
    return new SendError({
      code: SendErrorCodes.originalAmbiguous,
      problem: `cannot ${what} the mail: ${matches} mails have internetMessageId ${imid} (copies), and the node does not guess which one`,
    });
  }
  const looked = imid
    ? ` nor by its internetMessageId ${imid}`
    : ' (msg.o365.internetMessageId would find a moved mail)';
  return new SendError(
    {
      code: SendErrorCodes.originalNotFound,
      problem: `cannot ${what} the mail: it is not in the mailbox, neither by its id${looked}; it was deleted`,
    },
    err,
  );
}
