/**
 * The node's fields and an input message -> what to send. Each field is a TypedInput evaluated per message; an empty
 * field falls back to msg.topic / msg.to / msg.cc / msg.bcc as node-red-node-email does. No Node-RED import: the
 * glue passes the evaluator in.
 */
import type { BodyType } from '../mail/body';
import type { SendRequestInput } from '../mail/outbound';
import { messageOf } from '../graph/errors';
import { badInput } from './errors';

/** The o365-mail-out node's properties as the editor saves them (SPEC: o365-mail-out). */
export interface MailOutConfig {
  name?: string;
  account?: string;
  username?: string;
  usernameType?: string;
  subject?: string;
  subjectType?: string;
  toRecipients?: string;
  toRecipientsType?: string;
  ccRecipients?: string;
  ccRecipientsType?: string;
  bccRecipients?: string;
  bccRecipientsType?: string;
  save?: boolean | string;
  bodyType?: string;
}

/** The settings that do not depend on the message, checked once at deploy. */
export interface MailOutSettings {
  save: boolean;
  bodyType: BodyType;
}

/** Evaluates one TypedInput (`str`, `msg`, `flow`, `global`, `env`, `jsonata`, ...) against the current message. */
export type Evaluate = (value: string, type: string) => Promise<unknown>;

export interface ResolvedSend {
  mailbox: string;
  request: SendRequestInput;
}

const BODY_TYPES: BodyType[] = ['auto', 'text', 'html'];

/** Checks the fixed settings; throws a clear error for a value the editor would not produce. */
export function mailOutSettings(config: MailOutConfig): MailOutSettings {
  const bodyType = (config.bodyType || 'auto') as BodyType;
  if (!BODY_TYPES.includes(bodyType)) {
    throw new RangeError(`bodyType ${JSON.stringify(config.bodyType)} is not valid; use auto, text or html`);
  }
  // Flows written by hand or by older editors may hold "false" as text.
  const save =
    config.save === undefined || config.save === '' ? true : config.save !== false && config.save !== 'false';
  return { save, bodyType };
}

/** The message's mailbox and send request; rejects with a SendError (BadInput) naming what is wrong. */
export async function resolveSend(
  config: MailOutConfig,
  settings: MailOutSettings,
  msg: Record<string, unknown>,
  evaluate: Evaluate,
): Promise<ResolvedSend> {
  const field = async (name: keyof MailOutConfig, fallback: unknown): Promise<unknown> => {
    const value = config[name];
    const type = String(config[`${name}Type` as keyof MailOutConfig] ?? 'str') || 'str';
    if (typeof value !== 'string' || value.trim() === '') return fallback;
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
