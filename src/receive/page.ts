/** One page of fresh mails: claimed (when claims are on), delivered in order, acknowledged in batches. */
import type { AcknowledgeAction, GraphMessage } from '../graph/mail-api';
import { messageOf } from '../graph/errors';
import { AckOutcome, AckQueue, acknowledgeAll } from './acknowledge';
import { claimMails, withoutClaim } from './claim';
import { deliverInOrder } from './deliver';
import type { PollContext } from './poll';

/** Folder ids one poll needs. */
export interface DrainFolders {
  source: string;
  /** Destination of `action: move`. */
  destination?: string;
  /** The claim folder when claims are on. */
  claim?: string;
}

/**
 * The acknowledgements of one poll: sent in batches of 20 as mails are delivered, across pages (so a page boundary
 * makes no half-empty batch); `settle()` sends the rest and records what failed.
 */
export class Acknowledger {
  private readonly queue: AckQueue;
  /** The categories claimed mails had before their claim mark, by their id in the claim folder. */
  readonly categories = new Map<string, string[]>();

  constructor(
    private readonly ctx: PollContext,
    folders: DrainFolders,
  ) {
    this.queue = new AckQueue((ids) => acknowledge(ctx, ids, folders, this.categories));
  }

  /** Queues a delivered mail; resolves when there is room for more. */
  add(id: string): Promise<void> {
    return this.queue.add(id);
  }

  /** Waits for every acknowledgement queued so far and records the failed ones. */
  async settle(): Promise<void> {
    recordOutcomes(this.ctx, await this.queue.flush());
  }
}

/**
 * Claims (when on) and delivers one page of fresh mails, handing each delivered one to the acknowledger. `whole`: the
 * page listed ids only, so each mail is read by id first (where it is now). `listedAt`: Graph's clock when it listed
 * the page (the time of the claims).
 */
export async function deliverPage(
  ctx: PollContext,
  fresh: GraphMessage[],
  folders: DrainFolders,
  acknowledger: Acknowledger,
  whole = false,
  listedAt?: string,
): Promise<void> {
  let mails = fresh;
  let currentId = (id: string) => id;
  if (folders.claim) {
    const at = new Date(listedAt ? Date.parse(listedAt) : Date.now()).toISOString();
    const claim = await claimMails(ctx.api, fresh, folders.claim, at, ctx.signal);
    // The claim mark and the move: two operations a mail.
    ctx.counters.operations += 2 * fresh.length;
    ctx.counters.claimsWon += claim.won.size;
    ctx.counters.claimsLost += claim.lost.length;
    ctx.summary.claimsLost += claim.lost.length;
    if (claim.failed.length > 0) {
      ctx.hooks.warn({
        key: 'claim-failed',
        subs: { count: claim.failed.length, error: messageOf(claim.failed[0].error) },
      });
    }
    mails = fresh.filter((m) => claim.won.has(m.id));
    for (const m of mails)
      acknowledger.categories.set(claim.won.get(m.id) as string, withoutClaim(m.categories));
    currentId = (id) => claim.won.get(id) ?? id;
  }
  await deliverInOrder(ctx, mails, (id) => acknowledger.add(id), { currentId, whole });
}

/**
 * The acknowledgement of the action. With claims the claim mark goes too (the categories are set back as they were):
 * in the PATCH of `read`, which then moves the mail back where it was, or in a PATCH chained to the `move`.
 */
async function acknowledge(
  ctx: PollContext,
  ids: string[],
  folders: DrainFolders,
  categories: Map<string, string[]>,
): Promise<AckOutcome[]> {
  const action = ctx.options.action as AcknowledgeAction;
  const unmark = folders.claim ? (id: string) => ({ categories: categories.get(id) ?? [] }) : undefined;
  const patch = action === 'delete' ? undefined : unmark;
  ctx.counters.operations += ids.length * (action === 'move' && patch ? 2 : 1);
  const first = await acknowledgeAll(ctx.api, ids, action, folders.destination, ctx.signal, true, patch);
  for (const id of ids) categories.delete(id);
  if (!(folders.claim && action === 'read')) return first;
  const read = first.filter((o) => o.ok && !o.gone).map((o) => o.id);
  if (read.length === 0) return first;
  ctx.counters.operations += read.length;
  const back = new Map(
    (await acknowledgeAll(ctx.api, read, 'move', folders.source, ctx.signal)).map((o) => [o.id, o]),
  );
  return first.map((o) => back.get(o.id) ?? o);
}

function recordOutcomes(ctx: PollContext, outcomes: AckOutcome[]): void {
  for (const outcome of outcomes) {
    if (outcome.ok) {
      ctx.counters.acknowledged++;
      continue;
    }
    ctx.counters.ackFailed++;
    ctx.summary.ackFailed++;
    if (ctx.memory.ackFailed(outcome.id)) {
      ctx.hooks.warn({
        key: `ack-failed-${ctx.options.action as AcknowledgeAction}`,
        subs: { id: outcome.id, error: messageOf(outcome.error) },
      });
    }
  }
}
