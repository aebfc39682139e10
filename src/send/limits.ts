/**
 * What Graph and the tenant allow one mail, checked before the first request (README, o365-mail-out "Limits"), and
 * the send engine's tuning from settings.js. A mail over a limit fails here with a SendError that says which limit,
 * and nothing is sent or uploaded.
 */
import { DEFAULT_RETRY } from '../graph/client';
import { positiveNumber } from '../graph/connection';
import { SendErrorCodes } from '../graph/error-codes';
import { MAX_MESSAGE_BYTES, messageSize, type OutgoingMail } from '../mail/outbound';
import { SendError } from './errors';

/**
 * Graph takes at most 5 internetMessageHeaders per message (400 InvalidInternetMessageHeaderCollection "Maximum number
 * of headers in one message should be less than or equal to 5"; test/simulator/README.md, Fidelity).
 */
export const MAX_INTERNET_MESSAGE_HEADERS = 5;

/** Exchange Online's default maximum message size (MaxSendSize), 35 MB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 35 * 1024 * 1024;

const MB = 1024 * 1024;

export interface SendTuning {
  /** The tenant's maximum message size in bytes (settings.js `o365.maxMessageSizeMB`, 35 by default, up to 150). */
  maxMessageBytes: number;
  /** How long a sendMail of unclear outcome is looked for in Sent Items (`o365.retry.sentItemsWaitMs`, 30 s). */
  sentItemsWaitMs: number;
  /** The longest wait before repeating a /send Graph did not take (`o365.retry.maxTotalDelayMs`, 5 min). */
  maxWaitMs: number;
  /** At most this many /send requests for one draft (`o365.retry.maxAttempts`, 8). */
  maxAttempts: number;
  /** The first wait before repeating a /send without Retry-After (`o365.retry.baseDelayMs`, 1 s). */
  baseDelayMs: number;
}

export const DEFAULT_SENT_ITEMS_WAIT_MS = 30_000;

/**
 * Reads the send engine's tuning from settings.js (`o365: { maxMessageSizeMB: 35, retry: { sentItemsWaitMs: 30000,
 * maxTotalDelayMs, maxAttempts, baseDelayMs } }`). Unset or invalid values keep the defaults; the size is kept within
 * 1..150 MB.
 */
export function readSendTuning(tuning: unknown): SendTuning {
  const given = (tuning ?? {}) as { maxMessageSizeMB?: unknown; retry?: Record<string, unknown> };
  const sizeMB = positiveNumber(given.maxMessageSizeMB);
  return {
    maxMessageBytes: sizeMB
      ? Math.min(MAX_MESSAGE_BYTES, Math.max(MB, Math.round(sizeMB * MB)))
      : DEFAULT_MAX_MESSAGE_BYTES,
    sentItemsWaitMs: positiveNumber(given.retry?.sentItemsWaitMs) ?? DEFAULT_SENT_ITEMS_WAIT_MS,
    maxWaitMs: positiveNumber(given.retry?.maxTotalDelayMs) ?? DEFAULT_RETRY.maxTotalDelayMs,
    maxAttempts: Math.max(1, positiveNumber(given.retry?.maxAttempts) ?? DEFAULT_RETRY.maxAttempts),
    baseDelayMs: positiveNumber(given.retry?.baseDelayMs) ?? DEFAULT_RETRY.baseDelayMs,
  };
}

/**
 * The limit a mail is over, or undefined: every internetMessageHeader the mail carries is counted (those of
 * msg.headers the node kept and any the node adds), and its size as Exchange counts it against MaxSendSize.
 */
export function mailOverLimit(mail: OutgoingMail, maxMessageBytes: number): SendError | undefined {
  const headers = mail.message.internetMessageHeaders?.length ?? 0;
  const size = messageSize(mail);
  const over =
    headers > MAX_INTERNET_MESSAGE_HEADERS
      ? { code: SendErrorCodes.tooManyHeaders, count: headers, max: MAX_INTERNET_MESSAGE_HEADERS }
      : size > maxMessageBytes
        ? { code: SendErrorCodes.messageTooLarge, count: size, max: maxMessageBytes }
        : undefined;
  return over && new SendError({ ...over, problem: 'over a limit Graph or the tenant sets' });
}
