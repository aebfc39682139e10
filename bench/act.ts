/**
 * Action scenarios (issue #12): the mail-action engine (src/act: one MailActor per mailbox, driven directly, without
 * Node-RED) marks a burst of mails read, coalesced into `$batch` requests, next to a naive client that sends one
 * PATCH per mail, 4 at a time.
 */
import type { Connection } from '../src/graph/connection';
import { MAILBOX_CONCURRENCY } from '../src/graph/limiter';
import { pathSegment } from '../src/graph/odata';
import { MailActor, type ActionRequest } from '../src/act';
import { SendQueue } from '../src/send/queue';
import { measured } from './measure';
import type { SimCounters, SimProcess } from './sim-control';

export interface ActRun {
  done: number;
  failed: number;
  wallMs: number;
  counters: SimCounters;
  peakRssGrowth: number;
  /** Unread mail left in the inbox afterwards. */
  unreadAfter: number;
  error?: string;
}

type Tally = Pick<ActRun, 'done' | 'failed' | 'error'>;

/** Every mail of the inbox, as mail in would hand them on: all at once, each marked read by the actor. */
export async function markReadWithEngine(
  sim: SimProcess,
  connection: Connection,
  mailbox: string,
): Promise<ActRun> {
  const api = connection.mailbox(mailbox);
  const ids = (await sim.ask({ cmd: 'ids', mailbox })) as string[];
  await api.probe(); // token and TLS session first: the run measures actions, not the sign-in
  const actor = new MailActor(api);
  const request = (id: string): ActionRequest => ({
    operation: 'markRead',
    mail: { id },
    categoryMode: 'add',
    read: { bodyFormat: 'text', attachments: false, output: 'message' },
  });
  try {
    return await measuredActions(sim, mailbox, async (tally) => {
      await Promise.all(
        ids.map((id) =>
          actor.act(request(id)).then(
            () => tally.done++,
            (err: Error) => {
              tally.failed++;
              tally.error ??= err.message;
            },
          ),
        ),
      );
    });
  } finally {
    await actor.close();
  }
}

/** The naive way: one PATCH isRead per mail, 4 in flight at a time (Outlook's limit per mailbox). */
export async function markReadLikeNaive(
  sim: SimProcess,
  connection: Connection,
  mailbox: string,
): Promise<ActRun> {
  const client = connection.client();
  const ids = (await sim.ask({ cmd: 'ids', mailbox })) as string[];
  await connection.mailbox(mailbox, client).probe();
  return measuredActions(sim, mailbox, async (tally) => {
    const queue = new SendQueue<string>(
      async (id) => {
        try {
          await client.request({
            method: 'PATCH',
            path: `/users/${pathSegment(mailbox)}/messages/${pathSegment(id)}`,
            body: { isRead: true },
            retry: 'idempotent',
            mailbox,
          });
          tally.done++;
        } catch (err) {
          tally.failed++;
          tally.error ??= (err as Error).message;
        }
      },
      { concurrency: MAILBOX_CONCURRENCY },
    );
    for (const id of ids) queue.push(id);
    while (queue.queued > 0 || queue.active > 0) await new Promise((r) => setTimeout(r, 5));
    await queue.close();
  });
}

/** A measured run, with the unread mail left in the inbox afterwards. */
async function measuredActions(
  sim: SimProcess,
  mailbox: string,
  work: (tally: Tally) => Promise<void>,
): Promise<ActRun> {
  const run = await measured<Tally>(sim, { done: 0, failed: 0 }, work);
  return { ...run, unreadAfter: await sim.unread(mailbox) };
}
