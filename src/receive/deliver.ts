/** Reading and delivering listed mails in listing order, a few reads ahead. */
import type { GraphMessage } from '../graph/mail-api';
import { MESSAGE_SELECT, type InboundMail } from '../mail/inbound';
import { assembleMail } from './assemble';
import { MailError } from './mail-error';
import type { PollContext } from './poll';

export interface DeliverOptions {
  /** Where a listed mail is now (a claim gives it a new id). */
  currentId?: (listedId: string) => string;
  /** Stop at the first mail that failed and will be tried again (cursors must not pass it). */
  stopAtFailure?: boolean;
  /** The mails were listed as ids only: each is read by id before it is mapped. */
  whole?: boolean;
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
    const pending = readMail(ctx, m, currentId(m.id), options.whole === true);
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
  whole: boolean,
): Promise<InboundMail | MailError> {
  try {
    const message = whole
      ? await ctx.api.getMessage(id, MESSAGE_SELECT, ctx.options.bodyFormat, ctx.signal)
      : listed;
    return await assembleMail(ctx.api, message, id, ctx.options, ctx.signal);
  } catch (err) {
    if (ctx.signal?.aborted) throw err;
    return new MailError(id, err, ctx.memory.readFailed(id));
  }
}
