/**
 * The simulator in a process of its own, driven by the benchmark over an IPC channel. Its mail store, upload buffers
 * and CPU stay out of the measured process, as Graph's do in production. Started by `sim-control.ts`, never by hand.
 */
import { createHash } from 'node:crypto';
import {
  startSimulator,
  type NotificationBehaviour,
  type Simulator,
  type SimulatorOptions,
  type SubscriptionLimits,
} from '../test/simulator';

/** A request from the benchmark; `id` pairs it with its answer. */
export type SimCommand =
  | {
      id: number;
      cmd: 'start';
      options: Pick<SimulatorOptions, 'latencyMs' | 'concurrencyLimit' | 'mailboxes'>;
    }
  | { id: number; cmd: 'seed'; mailbox: string; count: number }
  | { id: number; cmd: 'setLatency'; ms: number }
  | { id: number; cmd: 'resetCounters' }
  | { id: number; cmd: 'counters' }
  | { id: number; cmd: 'unread'; mailbox: string }
  | { id: number; cmd: 'ids'; mailbox: string }
  | { id: number; cmd: 'sentSummary' }
  | { id: number; cmd: 'clearSent' }
  | { id: number; cmd: 'arrive'; mailbox: string }
  | { id: number; cmd: 'setNotifications'; behaviour: Partial<NotificationBehaviour> }
  | { id: number; cmd: 'setSubscriptionLimits'; limits: Partial<SubscriptionLimits> }
  | { id: number; cmd: 'subscriptions' }
  | { id: number; cmd: 'stop' };

export type SimAnswer = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

/** What the benchmark learns about the mail sent so far (attachments by hash, so 100 MB never crosses IPC). */
export interface SentSummary {
  count: number;
  byPath: Record<string, number>;
  attachments: { name: string; size: number; sha256: string }[];
}

let sim: Simulator | undefined;

function running(): Simulator {
  if (!sim) throw new Error('simulator not started');
  return sim;
}

async function answer(command: SimCommand): Promise<unknown> {
  switch (command.cmd) {
    case 'start':
      // A tenant whose admin raised MaxSendSize to Exchange Online's 150 MB, as the 100 MB attachment needs.
      sim = await startSimulator({ ...command.options, rateLimit: null, maxMessageBytes: 150 * 1024 * 1024 });
      return { url: sim.url, tenantId: sim.tenantId, ca: sim.ca, app: sim.app };
    case 'seed':
      running().seedMessages(command.mailbox, 'inbox', command.count, (i) => ({
        subject: `Order ${i + 1}`,
        from: { name: 'Fabrikam Orders', address: 'orders@fabrikam.example' },
        body: `Order ${i + 1}: 3 widgets, deliver to dock 4.`,
      }));
      return running().messages(command.mailbox, 'inbox').length;
    case 'setLatency':
      running().setLatency(command.ms);
      return null;
    case 'resetCounters':
      running().resetCounters();
      return null;
    case 'counters':
      return { ...running().counters, schemaViolations: running().schemaViolations.length };
    case 'unread':
      return running()
        .messages(command.mailbox, 'inbox')
        .filter((m) => !m.isRead).length;
    case 'ids':
      return running()
        .messages(command.mailbox, 'inbox')
        .map((m) => m.id);
    case 'sentSummary':
      return sentSummary(running());
    case 'clearSent':
      running().sent.splice(0);
      return null;
    case 'arrive': {
      // A new unread mail lands now; its id and the moment it landed (same clock as the bench: one machine).
      const at = Date.now();
      const id = running().addMessage(command.mailbox, 'inbox', {
        subject: `Arrival at ${new Date(at).toISOString()}`,
        receivedDateTime: new Date(at).toISOString(),
      });
      return { id, at };
    }
    case 'setNotifications':
      running().setNotifications(command.behaviour);
      return null;
    case 'setSubscriptionLimits':
      running().setSubscriptionLimits(command.limits);
      return null;
    case 'subscriptions':
      return running().subscriptions().length;
    case 'stop':
      await sim?.stop();
      sim = undefined;
      return null;
  }
}

function sentSummary(s: Simulator): SentSummary {
  const summary: SentSummary = { count: s.sent.length, byPath: {}, attachments: [] };
  for (const record of s.sent) {
    summary.byPath[record.via] = (summary.byPath[record.via] ?? 0) + 1;
    for (const a of record.message.attachments ?? []) {
      const content = a.content ?? Buffer.alloc(0);
      summary.attachments.push({
        name: a.name,
        size: content.length,
        sha256: createHash('sha256').update(content).digest('hex'),
      });
    }
  }
  return summary;
}

if (!process.send) {
  process.stderr.write('bench/sim-process.ts is started by the benchmark (it needs an IPC channel)\n');
  process.exit(1);
}
process.on('message', (command: SimCommand) => {
  answer(command).then(
    (value) => process.send?.({ id: command.id, ok: true, value } satisfies SimAnswer),
    (err: Error) => process.send?.({ id: command.id, ok: false, error: err.message } satisfies SimAnswer),
  );
});
// The benchmark going away (even by a crash) ends the simulator too.
process.on('disconnect', () => {
  void (sim?.stop() ?? Promise.resolve()).finally(() => process.exit(0));
});
