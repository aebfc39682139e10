/**
 * Why a mail was not sent, or may not have been. Callers branch on `outcome`: `not-sent` is safe to send again,
 * `unknown` is not (Graph may have sent it, so this node never repeats it).
 */
import { GraphError } from '../graph/errors';

export type SendOutcome = 'not-sent' | 'unknown';

/** `BadInput`: the message cannot make a mail. `Failed`: Graph refused or failed before sending. `OutcomeUnknown`:
 *  the send request was made but its answer was lost. `Closed`: the node stopped before the mail was sent. */
export type SendErrorCode = 'BadInput' | 'Failed' | 'OutcomeUnknown' | 'Closed';

/** A mail that did not go, or may not have gone, with the Graph error behind it when there is one. */
export class SendError extends Error {
  readonly code: SendErrorCode;
  readonly outcome: SendOutcome;
  /** The Graph or network error that caused it (for the status reason and account problems). */
  readonly graphError?: GraphError;

  constructor(code: SendErrorCode, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'SendError';
    this.code = code;
    this.outcome = code === 'OutcomeUnknown' ? 'unknown' : 'not-sent';
    if (cause instanceof GraphError) this.graphError = cause;
  }
}

/** Bad input: names the problem and says nothing was sent. */
export function badInput(problem: string): SendError {
  return new SendError('BadInput', `${problem}; nothing was sent`);
}

/** The text of any thrown value, for error messages. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** "a@x.example" or "a@x.example and 2 more": who a mail was for, in error messages. */
export function describeRecipients(addresses: string[]): string {
  if (addresses.length === 0) return 'no one';
  if (addresses.length === 1) return addresses[0];
  return `${addresses[0]} and ${addresses.length - 1} more`;
}
