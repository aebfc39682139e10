/**
 * Receive scenarios (issue #4): the mail-in engine (src/receive, driven directly, without Node-RED) drains a mailbox,
 * next to a naive poller that reads as Interlok does.
 */
import type { Connection } from '../src/graph/connection';
import { pathSegment } from '../src/graph/odata';
import { Receiver } from '../src/receive';
import { memoryCursorStore } from '../src/receive/cursor';
import { readReceiveOptions, type ReceiveAction } from '../src/receive/options';
import { englishText } from '../src/red/catalogue';
import { collectGarbage, RssSampler } from './measure';
import type { SimCounters, SimProcess } from './sim-control';

/** What one run through a mailbox did. */
export interface ReceiveRun {
  mails: number;
  /** Distinct mail ids delivered (less than `mails` means duplicates). */
  distinct: number;
  wallMs: number;
  polls: number;
  counters: SimCounters;
  peakRssGrowth: number;
  endRssGrowth: number;
  /** Unread mail left in the inbox afterwards. */
  unreadAfter: number;
  problems: string[];
}

/** Polls with the engine until a poll finds nothing (action read: the mailbox is drained). */
export async function receiveWithEngine(
  sim: SimProcess,
  connection: Connection,
  mailbox: string,
  action: ReceiveAction,
): Promise<ReceiveRun> {
  const api = connection.mailbox(mailbox);
  const ids = new Set<string>();
  const problems: string[] = [];
  let mails = 0;
  const receiver = new Receiver(
    api,
    // maxMessages 0: one poll takes all there is, as a node would over successive polls, minus the pauses.
    readReceiveOptions({ username: mailbox, action, maxMessages: 0 }),
    memoryCursorStore(),
    {
      deliver: (mail) => {
        mails++;
        ids.add(mail.o365.id);
      },
      mailFailed: (err) => problems.push(err.message),
      warn: (notice) => problems.push(englishText(`o365-mail-in.errors.${notice.key}`, notice.subs)),
    },
  );
  await api.probe(); // token and TLS session first: the run measures mail, not the sign-in
  return measured(sim, mailbox, problems, async () => {
    let polls = 0;
    for (;;) {
      polls++;
      const summary = await receiver.pollOnce();
      if (summary.delivered === 0 && summary.failed === 0) break;
      if (polls > 1000) throw new Error('the mailbox did not empty after 1000 polls');
    }
    return { polls, mails, distinct: ids.size };
  });
}

/**
 * The Interlok way (INTERLOK.md, "Behaviour per poll"): list unread mail with Graph's default page of 10, then per
 * mail one GET for its headers and one PATCH isRead, one request at a time; polls back to back until none is left.
 */
export async function receiveLikeInterlok(
  sim: SimProcess,
  connection: Connection,
  mailbox: string,
): Promise<ReceiveRun> {
  const client = connection.client();
  const user = `/users/${pathSegment(mailbox)}`;
  const ids = new Set<string>();
  let mails = 0;
  await connection.mailbox(mailbox, client).probe();
  return measured(sim, mailbox, [], async () => {
    let polls = 0;
    for (;;) {
      polls++;
      const page = await client.request<{ value: { id: string }[] }>({
        method: 'GET',
        path: `${user}/mailFolders/inbox/messages`,
        query: { $filter: 'isRead eq false' },
        mailbox,
      });
      if (page.data.value.length === 0) break;
      for (const listed of page.data.value) {
        const path = `${user}/messages/${pathSegment(listed.id)}`;
        await client.request({ method: 'GET', path, query: { $select: 'internetMessageHeaders' }, mailbox });
        mails++;
        ids.add(listed.id);
        await client.request({ method: 'PATCH', path, body: { isRead: true }, retry: 'idempotent', mailbox });
      }
    }
    return { polls, mails, distinct: ids.size };
  });
}

/** Runs `work` with the simulator's counters reset, the wall clock running and memory sampled every 20 ms. */
async function measured(
  sim: SimProcess,
  mailbox: string,
  problems: string[],
  work: () => Promise<{ polls: number; mails: number; distinct: number }>,
): Promise<ReceiveRun> {
  await sim.ask({ cmd: 'resetCounters' });
  collectGarbage();
  const rss = new RssSampler();
  const started = performance.now();
  let memory = { peakGrowth: 0, endGrowth: 0 };
  let done: { polls: number; mails: number; distinct: number };
  try {
    done = await work();
  } finally {
    memory = rss.stop();
  }
  const wallMs = performance.now() - started;
  return {
    ...done,
    wallMs,
    counters: await sim.counters(),
    peakRssGrowth: memory.peakGrowth,
    endRssGrowth: memory.endGrowth,
    unreadAfter: await sim.unread(mailbox),
    problems,
  };
}
