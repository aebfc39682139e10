/** What one poll works with, and the steps every way of polling shares: list options, reading and delivering a mail. */
import type { GraphMessage, ListOptions } from '../graph/mail-api';
import { InboundMail, MESSAGE_SELECT } from '../mail/inbound';
import { messageOf } from '../graph/errors';
import { assembleMail, expandsAttachments, ReceiveApi } from './assemble';
import type { SkipMemory } from './memory';
import type { ReceiveOptions } from './options';

/** What the node does with the receiver's results. */
export interface ReceiveHooks {
  /** Sends the mail's message on; the mail is acknowledged only after this resolved. */
  deliver(mail: InboundMail): Promise<void> | void;
  /** A mail that could not be read at all; the other mails of the poll go on. */
  mailFailed(error: MailError): void;
  /** Something the user should know once (an acknowledgement failed, a mail is skipped from now on). */
  warn(notice: Notice): void;
}

/** A warning with its catalogue key (`o365-mail-in.errors.<key>`), English text and substitutions. */
export interface Notice {
  key: string;
  /** English, with `__name__` placeholders. */
  fallback: string;
  subs: Record<string, string | number>;
}

/** The English text of a notice. */
export function renderNotice(notice: Notice): string {
  return notice.fallback.replace(/__(\w+)__/g, (_, name: string) => String(notice.subs[name] ?? ''));
}

/** The error of one mail, naming it. */
export class MailError extends Error {
  constructor(
    readonly mailId: string,
    override readonly cause: unknown,
    /** True when the mail will not be tried again while the node runs. */
    readonly skippedFromNow: boolean,
  ) {
    super(`could not read mail ${mailId}: ${messageOf(cause)}`);
    this.name = 'MailError';
  }
}

/** The result of one poll. */
export interface PollSummary {
  delivered: number;
  /** Mails that could not be read (reported through mailFailed). */
  failed: number;
  /** Mails whose acknowledgement failed in this poll. */
  ackFailed: number;
  /** Mails another consumer claimed first. */
  claimsLost: number;
  /** Stale claims moved back into the polled folder. */
  released: number;
  /** The poll stopped at maxMessages; more mail may be waiting. */
  limited: boolean;
}

/** Running totals, for the status, tests and the benchmark. */
export interface ReceiverCounters {
  polls: number;
  delivered: number;
  failed: number;
  acknowledged: number;
  ackFailed: number;
  claimsWon: number;
  claimsLost: number;
  released: number;
  /** Graph operations asked for (each `$batch` item counts, as Exchange counts them). */
  operations: number;
  /** Listing or delta pages read. */
  pages: number;
}

export function emptySummary(): PollSummary {
  return { delivered: 0, failed: 0, ackFailed: 0, claimsLost: 0, released: 0, limited: false };
}

export interface PollContext {
  api: ReceiveApi;
  options: ReceiveOptions;
  hooks: ReceiveHooks;
  memory: SkipMemory;
  counters: ReceiverCounters;
  summary: PollSummary;
  signal?: AbortSignal;
}

/** Page size of listings: Graph's maximum, smaller when each mail carries its attachments. */
export function pageSize(options: ReceiveOptions): number {
  return expandsAttachments(options) ? 250 : 1000;
}

/** `$filter` start far in the past, so mail can be ordered oldest first (Graph wants the ordered field filtered first). */
export const BEGINNING = '1900-01-01T00:00:00Z';

/**
 * The listing of the polled folder, oldest first (so a poll limited by maxMessages never starves old mail), from
 * `since` on. `$search` cannot be combined with `$filter` or `$orderby`: it lists in Graph's order.
 */
export function listOptions(
  options: ReceiveOptions,
  top: number,
  ordered: boolean,
  since = BEGINNING,
): ListOptions {
  const base = {
    select: MESSAGE_SELECT,
    top,
    bodyFormat: options.bodyFormat,
    expandAttachments: expandsAttachments(options),
  };
  if (options.search) return { ...base, search: options.search };
  if (!ordered) return { ...base, filter: options.filter || undefined };
  const userFilter = options.filter ? ` and (${options.filter})` : '';
  return { ...base, filter: `receivedDateTime ge ${since}${userFilter}`, orderby: 'receivedDateTime asc' };
}

export interface DeliverOptions {
  /** Where a listed mail is now (a claim gives it a new id). */
  currentId?: (listedId: string) => string;
  /** Stop at the first mail that failed and will be tried again (cursors must not pass it). */
  stopAtFailure?: boolean;
}

/**
 * Reads and delivers mails in listing order, reading up to 4 ahead (each read may need a request), and calls
 * `delivered(id, mail)` after each delivery. Resolves with the failures (already reported through mailFailed).
 */
export async function deliverInOrder(
  ctx: PollContext,
  listed: GraphMessage[],
  delivered: (id: string, mail: InboundMail) => void | Promise<void>,
  options: DeliverOptions = {},
): Promise<MailError[]> {
  const currentId = options.currentId ?? ((id: string) => id);
  const failures: MailError[] = [];
  const window = 4;
  const reads: (Promise<InboundMail | MailError> | undefined)[] = [];
  const read = (m: GraphMessage) => {
    const pending = readMail(ctx, m, currentId(m.id));
    // Only an abort rejects; keep it from surfacing as unhandled while an earlier mail is awaited.
    pending.catch(() => undefined);
    return pending;
  };
  for (let i = 0; i < Math.min(window, listed.length); i++) reads.push(read(listed[i]));
  for (let i = 0; i < listed.length; i++) {
    if (i + window < listed.length) reads.push(read(listed[i + window]));
    const result = await (reads[i] as Promise<InboundMail | MailError>);
    reads[i] = undefined; // a delivered mail's buffers may be freed
    ctx.signal?.throwIfAborted();
    const id = currentId(listed[i].id);
    if (result instanceof MailError) {
      ctx.summary.failed++;
      ctx.counters.failed++;
      ctx.hooks.mailFailed(result);
      failures.push(result);
      if (options.stopAtFailure && !result.skippedFromNow) break;
      continue;
    }
    try {
      await ctx.hooks.deliver(result);
    } catch (err) {
      // The mail was not sent on: not acknowledged, so it comes again.
      ctx.summary.failed++;
      ctx.counters.failed++;
      const failure = new MailError(id, err, false);
      ctx.hooks.mailFailed(failure);
      failures.push(failure);
      if (options.stopAtFailure) break;
      continue;
    }
    ctx.memory.readSucceeded(id);
    ctx.summary.delivered++;
    ctx.counters.delivered++;
    await delivered(id, result);
  }
  return failures;
}

async function readMail(
  ctx: PollContext,
  listed: GraphMessage,
  id: string,
): Promise<InboundMail | MailError> {
  try {
    return await assembleMail(ctx.api, listed, id, ctx.options, ctx.signal);
  } catch (err) {
    if (ctx.signal?.aborted) throw err;
    return new MailError(id, err, ctx.memory.readFailed(id));
  }
}
