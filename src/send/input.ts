/**
 * The node's fields and an input message -> what to send: a new mail, an answer in a thread (mode reply, replyAll,
 * forward) or a whole MIME mail (bodyType mime). Each field is a TypedInput evaluated per message; for a new mail an
 * empty field falls back to msg.topic / msg.to / msg.cc / msg.bcc as node-red-node-email does. An answer uses only
 * the node's fields and the message's own parts (payload, attachments, headers, importance): msg.topic, msg.to,
 * msg.cc, msg.bcc and msg.from describe the original when the message comes from mail in, and the attachments mail
 * in delivered are the original's. No Node-RED import: the glue passes the evaluator in.
 */
import { messageOf } from '../graph/errors';
import { SendErrorCodes } from '../graph/error-codes';
import { ConfigError } from '../graph/errors';
import { ANSWER_MODES, type AnswerMode } from '../mail/answer';
import type { BodyType } from '../mail/body';
import { MimeProblem, prepareMime, MIME_SEND_LIMIT_BYTES, type OutgoingMime } from '../mail/mime';
import { buildOutgoingMail, type OutgoingMail, type SendRequestInput } from '../mail/outbound';
import {
  readBoolean,
  readChoice,
  readTypedFields,
  type MailOutProperties,
  type TypedValue,
} from '../red/properties';
import type { AnswerTo } from './answer';
import { badInput, SendError } from './errors';

/** The TypedInput fields of o365-mail-out. */
export const MAIL_OUT_FIELDS = [
  'username',
  'subject',
  'toRecipients',
  'ccRecipients',
  'bccRecipients',
] as const;
export type MailOutField = (typeof MAIL_OUT_FIELDS)[number];

export type { TypedValue } from '../red/properties';

/** The node's settings, read and checked once at deploy. */
export interface MailOutSettings {
  save: boolean;
  /** `mime`: msg.payload is a whole mail, sent as it is. */
  bodyType: BodyType | 'mime';
  /** `send`: a new mail; reply, replyAll, forward: an answer to the mail in msg.o365.id, in its thread. */
  mode: 'send' | AnswerMode;
  /** Each field as given; an empty value falls back to the message (msg.topic, msg.to, ...). */
  fields: Record<MailOutField, TypedValue>;
}

/** Evaluates one TypedInput (`str`, `msg`, `flow`, `global`, `env`, `jsonata`, ...) against the current message. */
export type Evaluate = (value: string, type: string) => Promise<unknown>;

export interface ResolvedSend {
  mailbox: string;
  request: SendRequestInput;
}

const BODY_TYPES: (BodyType | 'mime')[] = ['auto', 'text', 'html', 'mime'];
const MODES: MailOutSettings['mode'][] = ['send', ...ANSWER_MODES];

/** Reads and checks the node's properties; throws a ConfigError naming the property at fault. */
export function readSendSettings(raw: MailOutProperties): MailOutSettings {
  const fields = readTypedFields(raw, MAIL_OUT_FIELDS);
  const mode = readChoice('mode', raw.mode, MODES, 'send');
  const bodyType = readChoice('bodyType', raw.bodyType, BODY_TYPES, 'auto');
  if (bodyType === 'mime' && mode !== 'send') {
    throw new ConfigError(
      `bodyType 'mime' sends a whole mail of its own: it cannot ${mode} (use mode send)`,
      {
        property: 'bodyType',
      },
    );
  }
  return { save: readBoolean('save', raw.save, true), bodyType, mode, fields };
}

/** The message's mailbox and send request; rejects with a SendError (BadInput) naming what is wrong. */
export async function resolveSend(
  settings: MailOutSettings,
  msg: Record<string, unknown>,
  evaluate: Evaluate,
): Promise<ResolvedSend> {
  const field = async (name: MailOutField, fallback: unknown): Promise<unknown> => {
    const { value, type } = settings.fields[name];
    if (value.trim() === '') return fallback;
    try {
      return await evaluate(value, type);
    } catch (err) {
      throw badInput(`${name}: could not evaluate ${type} "${value}": ${messageOf(err)}`);
    }
  };
  const answering = settings.mode !== 'send';
  const o365 = (typeof msg.o365 === 'object' && msg.o365 !== null ? msg.o365 : {}) as Record<string, unknown>;
  // An answer goes from the mailbox that holds the original, which mail in names in msg.o365.mailbox.
  const mailbox = await field('username', answering ? o365.mailbox : undefined);
  if (mailbox === undefined || mailbox === null || (typeof mailbox === 'string' && mailbox.trim() === '')) {
    throw badInput(
      answering
        ? 'no mailbox to answer from: set the username field, or msg.o365.mailbox (mail in sets it)'
        : 'no sending mailbox (username): set the username field to a UPN, SMTP address or user id',
    );
  }
  if (typeof mailbox !== 'string') {
    throw badInput(`username: expected the mailbox as text, got ${typeof mailbox}`);
  }
  if (answering) return { mailbox: mailbox.trim(), request: await answerRequest(settings, msg, field) };
  const request: SendRequestInput = {
    subject: await field('subject', msg.topic),
    to: await field('toRecipients', msg.to),
    cc: await field('ccRecipients', msg.cc),
    bcc: await field('bccRecipients', msg.bcc),
    replyTo: msg.replyTo,
    from: msg.from,
    importance: msg.importance,
    priority: msg.priority,
    headers: msg.headers,
    payload: msg.payload,
    filename: msg.filename,
    attachments: msg.attachments,
    bodyType: settings.bodyType as BodyType,
  };
  return { mailbox: mailbox.trim(), request };
}

/** An answer's request: the node's fields only (no msg.topic / msg.to fallbacks), none of mail in's attachments. */
async function answerRequest(
  settings: MailOutSettings,
  msg: Record<string, unknown>,
  field: (name: MailOutField, fallback: unknown) => Promise<unknown>,
): Promise<SendRequestInput> {
  return {
    subject: await field('subject', undefined),
    to: await field('toRecipients', undefined),
    cc: await field('ccRecipients', undefined),
    bcc: await field('bccRecipients', undefined),
    replyTo: msg.replyTo,
    importance: msg.importance,
    priority: msg.priority,
    headers: msg.headers,
    payload: msg.payload,
    filename: msg.filename,
    attachments: withoutDelivered(msg.attachments),
    bodyType: settings.bodyType as BodyType,
    mode: settings.mode as AnswerMode,
  };
}

/**
 * msg.attachments without the entries mail in delivered (they carry mail in's `kind`): they are the original's, which
 * a reply leaves out, as Outlook does, and a forward carries already.
 */
function withoutDelivered(attachments: unknown): unknown {
  if (!Array.isArray(attachments)) return attachments;
  return attachments.filter((a) => !(typeof a === 'object' && a !== null && 'kind' in a));
}

/** What one message sends: a new mail, an answer to a mail in its thread, or a whole MIME mail. */
export type PreparedSend =
  | { kind: 'mail'; mailbox: string; mail: OutgoingMail }
  | { kind: 'answer'; mailbox: string; mail: OutgoingMail; to: AnswerTo }
  | { kind: 'mime'; mailbox: string; mime: OutgoingMime };

/** The message's mailbox and the checked mail to send from it; rejects with a SendError naming the problem. */
export async function prepareSend(
  settings: MailOutSettings,
  msg: Record<string, unknown>,
  evaluate: Evaluate,
): Promise<PreparedSend> {
  const { mailbox, request } = await resolveSend(settings, msg, evaluate);
  if (settings.bodyType === 'mime') return { kind: 'mime', mailbox, mime: mimeOf(msg.payload, mailbox) };
  let mail: OutgoingMail;
  try {
    mail = buildOutgoingMail(request);
  } catch (err) {
    throw badInput(messageOf(err));
  }
  if (settings.mode === 'send') return { kind: 'mail', mailbox, mail };
  return {
    kind: 'answer',
    mailbox,
    mail,
    to: { mode: settings.mode, original: originalOf(msg, settings.mode) },
  };
}

/** The mail to answer: msg.o365.id, and msg.o365.internetMessageId to find it after a move. */
function originalOf(msg: Record<string, unknown>, mode: AnswerMode): AnswerTo['original'] {
  const o365 = (typeof msg.o365 === 'object' && msg.o365 !== null ? msg.o365 : {}) as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === 'string' && value.trim() ? value.trim() : undefined);
  const original = { id: text(o365.id), internetMessageId: text(o365.internetMessageId) };
  if (!original.id && !original.internetMessageId) {
    throw badInput(
      `mode ${mode} answers the mail in msg.o365.id (as mail in sets it), and the message has none`,
    );
  }
  return original;
}

/** msg.payload as a MIME mail ready for sendMail; a SendError naming the problem (or the size limit) otherwise. */
function mimeOf(payload: unknown, mailbox: string): OutgoingMime {
  try {
    return prepareMime(payload, mailbox);
  } catch (err) {
    if (!(err instanceof MimeProblem)) throw err;
    if (err.kind === 'too-large') {
      const count = Buffer.isBuffer(payload) ? payload.length : Buffer.byteLength(String(payload));
      throw new SendError({
        code: SendErrorCodes.mimeTooLarge,
        problem: err.problem,
        count,
        max: MIME_SEND_LIMIT_BYTES,
      });
    }
    throw badInput(err.problem);
  }
}
