/**
 * Mails a listing named without their fields (a partial delta item: only id, isRead and parentFolderId; an id-only
 * scan of the folder), fetched in full in `$batch` requests of 20 before anything is decided about them.
 */
import { GraphError } from '../graph/errors';
import type { GraphMessage } from '../graph/mail-api';
import { MESSAGE_SELECT } from '../mail/inbound';
import { expandsAttachments } from './assemble';
import { MailError } from './mail-error';
import type { PollContext } from './poll';

/** What fetching gave: the mails (in the order asked), the ids that are gone, and the ones that could not be read. */
export interface Fetched {
  mails: GraphMessage[];
  gone: string[];
  failed: MailError[];
}

/** A delta item that lacks what was selected (Graph returns every message with a receivedDateTime). */
export function isPartial(message: GraphMessage): boolean {
  return typeof message.receivedDateTime !== 'string';
}

/** Fetches mails in full by id; failures are reported through mailFailed and counted for the skip memory. */
export async function fetchWhole(ctx: PollContext, ids: string[]): Promise<Fetched> {
  const out: Fetched = { mails: [], gone: [], failed: [] };
  if (ids.length === 0) return out;
  ctx.counters.operations += ids.length;
  const results = await ctx.api.getMessages(
    ids,
    {
      select: MESSAGE_SELECT,
      bodyFormat: ctx.options.bodyFormat,
      expandAttachments: expandsAttachments(ctx.options),
    },
    ctx.signal,
  );
  for (const id of ids) {
    const result = results.get(id);
    if (result && !(result instanceof Error)) out.mails.push(result);
    else if (result instanceof GraphError && result.reason === 'item-not-found') out.gone.push(id);
    else {
      const failure = new MailError(id, result, ctx.memory.readFailed(id));
      ctx.summary.failed++;
      ctx.counters.failed++;
      ctx.hooks.mailFailed(failure);
      out.failed.push(failure);
    }
  }
  return out;
}
