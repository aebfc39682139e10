/**
 * Never sent twice: what the node does when a request that can send mail (sendMail, a draft's /send, and later a
 * reply or forward) ends without a clear answer. 503, 504, a timeout, a dropped connection or an unreadable answer do
 * not prove that nothing was sent (a sendMail answered 504 can be delivered: Microsoft Q&A 5629476), so the node
 * first finds out, then `decideRepeat` (the one rule) says whether the request may be made again.
 *
 * What the node can prove (README, o365-mail-out "Retries, and the never-twice rule"):
 * - sent: the mail is in Sent Items under the internetMessageId the node gave it (Graph files the copy a moment after
 *   sending, so it looks several times within `sentItemsWaitMs`), or the draft it sent left Drafts and is in Sent
 *   Items;
 * - not sent: only on the draft path: the draft is still in Drafts as a draft. Repeating `/send` of that same draft
 *   cannot make a second mail even if the first request is still under way, because a draft is sent once (after it
 *   was sent it is no longer a draft, and `/send` of it fails);
 * - nothing either way: a sendMail not found in Sent Items (it may still be on its way), or sent with save off (no
 *   copy exists to look for). Then the mail "may or may not have been sent" and is never repeated.
 */
import { sleep } from '../graph/client';
import { ErrorCodes, GraphCodes } from '../graph/error-codes';
import { GraphError, O365Error } from '../graph/errors';
import type { MailApi } from '../graph/mail-api';

/** What a request that can send mail was aimed at, so the node knows where its trace would be. */
export type SendTarget =
  /** A draft's `/send`: the draft's state tells, and Sent Items confirms. */
  | { kind: 'draft'; draftId: string; internetMessageId: string }
  /** A request that files a copy in Sent Items with this internetMessageId (sendMail with save on, reply, forward). */
  | { kind: 'sent-items'; internetMessageId: string }
  /** No copy to look for (sendMail with save off). */
  | { kind: 'untraceable' };

/** What the node found out about one unclear send. */
export type SendEvidence =
  | { kind: 'in-sent-items' }
  | { kind: 'still-a-draft' }
  | { kind: 'not-in-sent-items'; lookedForMs: number; draftGone: boolean }
  | { kind: 'untraceable' }
  | { kind: 'unreadable'; error: unknown };

/** `sent`: report success; `repeat`: the request may be made again; `unknown`: "may or may not have been sent". */
export type RepeatDecision = 'sent' | 'repeat' | 'unknown';

/** The one rule: repeat a request that can send mail only when the mail provably did not go. */
export function decideRepeat(evidence: SendEvidence): RepeatDecision {
  switch (evidence.kind) {
    case 'in-sent-items':
      return 'sent';
    case 'still-a-draft':
      return 'repeat';
    default:
      return 'unknown';
  }
}

/**
 * True when an answer does not prove that nothing was sent: the client's OutcomeUnknown (503, 504, other 5xx,
 * timeout, dropped connection, unreadable answer), or something that is not an answer at all.
 */
export function isUnclear(err: unknown): boolean {
  return !(err instanceof O365Error) || err.code === ErrorCodes.outcomeUnknown;
}

/** A /send answer that means the draft is no longer there to send: gone (404) or no longer a draft. */
export function isDraftGone(err: unknown): boolean {
  return (
    err instanceof GraphError &&
    (err.reason === 'item-not-found' || (err.status === 400 && err.code === GraphCodes.notADraft))
  );
}

/** How one unclear answer is described in "may or may not have been sent (...)". */
export function describeUnclear(err: unknown): string {
  if (!(err instanceof O365Error)) return err instanceof Error ? err.message : String(err);
  const id = err.requestId ? `, request-id ${err.requestId}` : '';
  if (err.status) return `Graph answered HTTP ${err.status}${id}`;
  return `${err.serviceMessage ?? err.hint ?? err.code}${id}`;
}

/** The lookups of a mail in Sent Items, as offsets from the first: 0, 0.5 s, 1.5 s, 3.5 s... and the end of the wait. */
export function lookupTimes(waitMs: number): number[] {
  const times = [0];
  for (let step = 500; times[times.length - 1] + step < waitMs; step *= 2)
    times.push(times[times.length - 1] + step);
  if (waitMs > 0) times.push(waitMs);
  return times;
}

/** Finds out whether an unclear send went, within a bounded wait. */
export class SendChecker {
  constructor(
    private readonly api: Pick<MailApi, 'getMessage' | 'findByInternetMessageId'>,
    private readonly sentItemsWaitMs: number,
  ) {}

  async check(target: SendTarget, signal?: AbortSignal): Promise<SendEvidence> {
    try {
      if (target.kind === 'untraceable') return { kind: 'untraceable' };
      if (target.kind === 'draft') {
        if (await this.isStillADraft(target.draftId, signal)) return { kind: 'still-a-draft' };
        return await this.inSentItems(target.internetMessageId, true, signal);
      }
      return await this.inSentItems(target.internetMessageId, false, signal);
    } catch (error) {
      if (signal?.aborted) throw error;
      return { kind: 'unreadable', error };
    }
  }

  private async isStillADraft(draftId: string, signal?: AbortSignal): Promise<boolean> {
    try {
      const draft = await this.api.getMessage(draftId, ['isDraft'], 'text', signal);
      return draft.isDraft === true;
    } catch (err) {
      if (err instanceof GraphError && err.reason === 'item-not-found') return false;
      throw err;
    }
  }

  private async inSentItems(
    internetMessageId: string,
    draftGone: boolean,
    signal?: AbortSignal,
  ): Promise<SendEvidence> {
    let at = 0;
    for (const time of lookupTimes(this.sentItemsWaitMs)) {
      if (time > at) await sleep(time - at, signal);
      at = time;
      const found = await this.api.findByInternetMessageId('sentitems', internetMessageId, signal);
      if (found.length > 0) return { kind: 'in-sent-items' };
    }
    return { kind: 'not-in-sent-items', lookedForMs: this.sentItemsWaitMs, draftGone };
  }
}
