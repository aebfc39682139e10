/**
 * The node's fields and an input message -> what to send. Each field is a TypedInput evaluated per message; an empty
 * field falls back to msg.topic / msg.to / msg.cc / msg.bcc as node-red-node-email does. No Node-RED import: the
 * glue passes the evaluator in.
 */
import { messageOf } from '../graph/errors';
import type { BodyType } from '../mail/body';
import { buildOutgoingMail, type OutgoingMail, type SendRequestInput } from '../mail/outbound';
import { readBoolean, readChoice, type MailOutProperties } from '../red/properties';
import { badInput } from './errors';

/** The TypedInput fields of o365-mail-out. */
export const MAIL_OUT_FIELDS = [
  'username',
  'subject',
  'toRecipients',
  'ccRecipients',
  'bccRecipients',
] as const;
export type MailOutField = (typeof MAIL_OUT_FIELDS)[number];

/** A TypedInput as the editor saves it: the value and its type (`str`, `msg`, `flow`, `global`, `env`, `jsonata`). */
export interface TypedValue {
  value: string;
  type: string;
}

/** The node's settings, read and checked once at deploy. */
export interface MailOutSettings {
  save: boolean;
  bodyType: BodyType;
  /** Each field as given; an empty value falls back to the message (msg.topic, msg.to, ...). */
  fields: Record<MailOutField, TypedValue>;
}

/** Evaluates one TypedInput (`str`, `msg`, `flow`, `global`, `env`, `jsonata`, ...) against the current message. */
export type Evaluate = (value: string, type: string) => Promise<unknown>;

export interface ResolvedSend {
  mailbox: string;
  request: SendRequestInput;
}

const BODY_TYPES: BodyType[] = ['auto', 'text', 'html'];

/** Reads and checks the node's properties; throws a ConfigError naming the property at fault. */
export function readSendSettings(raw: MailOutProperties): MailOutSettings {
  const fields = {} as Record<MailOutField, TypedValue>;
  for (const name of MAIL_OUT_FIELDS) {
    const value = raw[name];
    fields[name] = {
      value: typeof value === 'string' ? value : '',
      type: String(raw[`${name}Type`] ?? 'str') || 'str',
    };
  }
  return {
    save: readBoolean('save', raw.save, true),
    bodyType: readChoice('bodyType', raw.bodyType, BODY_TYPES, 'auto'),
    fields,
  };
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
  const mailbox = await field('username', undefined);
  if (mailbox === undefined || mailbox === null || (typeof mailbox === 'string' && mailbox.trim() === '')) {
    throw badInput('no sending mailbox (username): set the username field to a UPN, SMTP address or user id');
  }
  if (typeof mailbox !== 'string') {
    throw badInput(`username: expected the mailbox as text, got ${typeof mailbox}`);
  }
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
    bodyType: settings.bodyType,
  };
  return { mailbox: mailbox.trim(), request };
}

/** The message's mailbox and the checked mail to send from it; rejects with a SendError (BadInput) naming the problem. */
export async function prepareSend(
  settings: MailOutSettings,
  msg: Record<string, unknown>,
  evaluate: Evaluate,
): Promise<{ mailbox: string; mail: OutgoingMail }> {
  const { mailbox, request } = await resolveSend(settings, msg, evaluate);
  try {
    return { mailbox, mail: buildOutgoingMail(request) };
  } catch (err) {
    throw badInput(messageOf(err));
  }
}
