/**
 * Why a mail was not sent, or may not have been. Callers branch on `code` and `outcome`: `not-sent` is safe to send
 * again, `unknown` is not (Graph may have sent it, so this node never repeats it). The words of every send failure are
 * made in one place, `sendErrorText`, from the failure's fields.
 */
import { SendErrorCodes } from '../graph/error-codes';
import { messageOf, WorkError } from '../graph/errors';

export type SendOutcome = 'not-sent' | 'unknown';

/** See SendErrorCodes in src/graph/error-codes.ts. */
export type SendErrorCode = (typeof SendErrorCodes)[keyof typeof SendErrorCodes];

/** What went wrong with one mail, apart from what that means for the mail. */
export interface SendFailure {
  code: SendErrorCode;
  /** The problem alone: "could not create the draft: ...", "the node is closing", "no sending mailbox ...". */
  problem: string;
  /** Who the mail was for ("a@x.example and 2 more"), when known. */
  recipients?: string;
  /** An unknown outcome on the draft path: if the mail was not sent, the draft is still in Drafts. */
  draftKept?: boolean;
  /** TooManyHeaders: the headers counted; MessageTooLarge: the mail's size in bytes (unknown when Graph refused it). */
  count?: number;
  /** The limit `count` went over: 5 headers, or the maximum message size in bytes. */
  max?: number;
  /** An unknown outcome: the id the mail was sent under, to look for it by hand. */
  internetMessageId?: string;
}

/** A mail that did not go, or may not have gone, with the Microsoft 365 error behind it when there is one. */
export class SendError extends WorkError<SendFailure> implements SendFailure {
  declare readonly code: SendErrorCode;
  declare readonly problem: string;
  declare readonly recipients?: string;
  declare readonly draftKept?: boolean;
  declare readonly count?: number;
  declare readonly max?: number;
  declare readonly internetMessageId?: string;
  readonly outcome: SendOutcome;

  constructor(failure: SendFailure, cause?: unknown) {
    super('SendError', failure, sendErrorText(failure), cause);
    this.outcome = failure.code === SendErrorCodes.outcomeUnknown ? 'unknown' : 'not-sent';
  }
}

/** The message of a send failure: the problem, and whether the mail went. */
export function sendErrorText(failure: SendFailure): string {
  const to = failure.recipients ? ` to ${failure.recipients}` : '';
  switch (failure.code) {
    case SendErrorCodes.badInput:
      return `${failure.problem}; nothing was sent`;
    case SendErrorCodes.outcomeUnknown: {
      const evidence = failure.draftKept ? '; if it was not sent, it is still in Drafts' : '';
      const id = failure.internetMessageId ? ` (Internet message id ${failure.internetMessageId})` : '';
      return `the mail${to} may or may not have been sent (${failure.problem}); it was not sent again${evidence}${id}`;
    }
    case SendErrorCodes.closed:
      return to ? `mail${to} not sent: ${failure.problem}` : `${failure.problem}; the mail was not sent`;
    case SendErrorCodes.tooManyHeaders:
      return (
        `the mail has ${failure.count} internet message headers, and Graph takes at most ${failure.max} ` +
        '(counted: the X- headers of msg.headers the node keeps, and any header the node adds); nothing was sent'
      );
    case SendErrorCodes.messageTooLarge:
      return messageTooLargeText(failure, to);
    case SendErrorCodes.mimeTooLarge:
      return (
        `the MIME mail is ${failure.count} bytes; Graph's sendMail takes at most ${failure.max} bytes of MIME, as ` +
        'it travels base64-encoded in one request of at most 4 MB; send it with bodyType text or html and ' +
        'msg.attachments instead, which has no such limit; nothing was sent'
      );
    case SendErrorCodes.originalNotFound:
    case SendErrorCodes.originalAmbiguous:
      return `${failure.problem}; nothing was sent`;
    default:
      return `mail${to} not sent: ${failure.problem}`;
  }
}

/** Over the maximum message size: found by the node (count and max known) or by Exchange (Graph's answer). */
function messageTooLargeText(failure: SendFailure, to: string): string {
  const admin =
    "an Exchange admin can raise the sending mailbox's MaxSendSize (35 MB by default, up to 150 MB: " +
    "Set-Mailbox -MaxSendSize, or the mailbox plan) and the recipients' MaxReceiveSize, then set " +
    'o365.maxMessageSizeMB in settings.js to match';
  if (failure.count !== undefined && failure.max !== undefined) {
    return (
      `the mail${to} is ${megabytes(failure.count)} MB (attachments count a third larger, as Exchange holds them ` +
      `base64-encoded), more than the maximum message size of ${megabytes(failure.max)} MB set for the tenant ` +
      `(o365.maxMessageSizeMB in settings.js); ${admin}; nothing was sent`
    );
  }
  return (
    `mail${to} not sent: Exchange refused it as larger than the mailbox's maximum message size ` +
    `(MaxSendSize; ${failure.problem}); ${admin}`
  );
}

/** Bytes in Exchange's megabytes (MiB), one decimal when under 10. */
function megabytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return mb < 10 ? String(Math.round(mb * 10) / 10) : String(Math.round(mb));
}

/** Bad input: names the problem; nothing was sent. */
export function badInput(problem: string): SendError {
  return new SendError({ code: SendErrorCodes.badInput, problem });
}

/** A closing node stopped the mail before it was sent. */
export function closedBeforeSending(problem: string): SendError {
  return new SendError({ code: SendErrorCodes.closed, problem });
}

/** Any failure as a SendError; one that is not already says "not sent" (it came before a send request). */
export function asSendError(err: unknown): SendError {
  if (err instanceof SendError) return err;
  return new SendError({ code: SendErrorCodes.failed, problem: messageOf(err) }, err);
}

/** "a@x.example" or "a@x.example and 2 more": who a mail was for, in error messages. */
export function describeRecipients(addresses: string[]): string {
  if (addresses.length === 0) return 'no one';
  if (addresses.length === 1) return addresses[0];
  return `${addresses[0]} and ${addresses.length - 1} more`;
}
