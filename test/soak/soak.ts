/**
 * The soak: an hour of mail compressed into minutes. A mail-out node sends to a mailbox that a mail-in node polls
 * (action delete), more mail arrives there on its own, the simulator injects random faults (seeded) into a few
 * percent of operations, and every token expires every few simulated minutes. At the end it drains and prints:
 * mails in = mails out, duplicates, retries, resident memory and heap trend, event-loop delay p99.
 *
 *   npm run soak -- [--minutes 60] [--ci] [--seed 1] [--fault-rate 0.03]
 *   (npm run soak = tsx test/with-sim-ca.ts tsx test/soak/soak.ts)
 *
 * One simulated minute lasts 5 real seconds (so 60 minutes take 5 minutes). `--ci` runs 24 simulated minutes and
 * exits 1 when an invariant is violated: a mail that arrived but was not delivered, a mail sent twice, a send reported
 * as sent that Graph did not get (or "not sent" that it got), an input without exactly one outcome, a crash.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startSimulator, type Simulator } from '../simulator';
import {
  helper,
  loadFlow,
  mailInProps,
  mailOutProps,
  printFigure,
  takeClientStats,
} from '../reliability/support';

const RECEIVER = 'soak-in@contoso.example';
const SENDER = 'soak-out@contoso.example';
const REAL_MS_PER_MINUTE = 5000;
const SENDS_PER_MINUTE = 40;
const ARRIVALS_PER_MINUTE = 40;
const TOKEN_EXPIRY_EVERY_MINUTES = 3;
const LARGE_EVERY = 100; // every 100th mail sent carries a 4.5 MB attachment (draft + upload session)
const MAX_PENDING_SENDS = 40;

interface Options {
  minutes: number;
  ci: boolean;
  seed: number;
  faultRate: number;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { minutes: 60, ci: false, seed: 1, faultRate: 0.03 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${arg} needs a positive number`);
      return v;
    };
    if (arg === '--minutes') options.minutes = value();
    else if (arg === '--seed') options.seed = value();
    else if (arg === '--fault-rate') options.faultRate = value();
    else if (arg === '--ci') options.ci = true;
    else throw new Error(`unknown option ${arg}; use --minutes N, --ci, --seed N, --fault-rate R`);
  }
  if (options.ci && !argv.includes('--minutes')) options.minutes = 24;
  if (options.faultRate >= 1) throw new Error('--fault-rate must be below 1');
  return options;
}

/** mulberry32: a small seeded PRNG, so a run's faults can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Least-squares slope of y over x. */
function slope(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type SendOutcome = 'sent' | 'unknown' | 'not-sent';

/** What went in and out, by subject. */
class Ledger {
  readonly arrived = new Set<string>();
  readonly delivered = new Map<string, number>();
  readonly sendOutcome = new Map<string, SendOutcome>();
  readonly sendMessages = new Map<string, string>();
  readonly graphSent = new Map<string, number>();
  inputs = 0;
  outcomes = 0;
  extraOutcomes = 0;

  get pendingSends(): number {
    return this.inputs - this.outcomes;
  }

  /** Subjects Graph put into the receiving inbox. */
  inboxed(): Set<string> {
    return new Set([...this.arrived, ...this.graphSent.keys()]);
  }
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const random = prng(options.seed);
  const problems: string[] = [];
  process.on('uncaughtException', (err) => problems.push(`uncaught exception: ${err.stack ?? err}`));
  process.on('unhandledRejection', (err) => problems.push(`unhandled rejection: ${String(err)}`));

  const sim = await startSimulator({ mailboxes: [RECEIVER, SENDER] });
  helper.settings({
    o365: {
      timeoutMs: 2000,
      retry: { maxAttempts: 6, baseDelayMs: 50, maxDelayMs: 1000, maxTotalDelayMs: 5000 },
    },
  });
  await helper.startServer();
  const record = await loadFlow(sim, [
    {
      id: 'in0',
      ...mailInProps(RECEIVER, {
        action: 'delete',
        filter: '',
        pollType: 'interval',
        interval: 1,
        pollOnStart: true,
        maxMessages: 200,
      }),
    },
    { id: 'out', ...mailOutProps(SENDER, { toRecipients: RECEIVER, save: false }) },
  ]);
  takeClientStats();
  const ledger = new Ledger();
  watch(ledger);

  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const memory: { t: number; rss: number; heap: number }[] = [];
  const started = Date.now();
  const durationMs = options.minutes * REAL_MS_PER_MINUTE;
  const large = Buffer.alloc(4.5 * 1024 * 1024, 1);
  let sendCount = 0;
  let arrivalCount = 0;
  let faults = 0;
  let tokenExpiries = 0;
  let lastOps = 0;
  let nextExpiry = started + TOKEN_EXPIRY_EVERY_MINUTES * REAL_MS_PER_MINUTE;
  const tickMs = 100;
  const perTick = (perMinute: number) => (perMinute * tickMs) / REAL_MS_PER_MINUTE;
  let sendCredit = 0;
  let arrivalCredit = 0;
  let lastSample = 0;
  let lastReport = started;
  const out = helper.getNode('out');

  console.log(
    `soak: ${options.minutes} simulated minutes in ${(durationMs / 1000).toFixed(0)} s, seed ${options.seed}, ` +
      `fault rate ${options.faultRate}${options.ci ? ', CI mode' : ''}`,
  );
  while (Date.now() - started < durationMs) {
    await sleep(tickMs);
    const now = Date.now();
    sendCredit += perTick(SENDS_PER_MINUTE);
    for (; sendCredit >= 1 && ledger.pendingSends < MAX_PENDING_SENDS; sendCredit--) {
      const subject = `soak send ${++sendCount}`;
      const msg: Record<string, unknown> = { topic: subject, payload: `mail ${sendCount}` };
      if (sendCount % LARGE_EVERY === 0) msg.attachments = [{ filename: 'large.bin', content: large }];
      ledger.inputs++;
      out.receive({ ...msg, _subject: subject });
    }
    arrivalCredit += perTick(ARRIVALS_PER_MINUTE);
    for (; arrivalCredit >= 1; arrivalCredit--) {
      const subject = `soak arrival ${++arrivalCount}`;
      ledger.arrived.add(subject);
      sim.addMessage(RECEIVER, 'inbox', { subject, body: `arrival ${arrivalCount}` });
    }
    // Faults on a few percent of the operations since the last tick, of a random kind each.
    const ops = sim.counters.operations;
    for (let i = lastOps; i < ops; i++) if (random() < options.faultRate) faults += injectFault(sim, random);
    lastOps = ops;
    if (now >= nextExpiry) {
      sim.expireTokens();
      tokenExpiries++;
      nextExpiry += TOKEN_EXPIRY_EVERY_MINUTES * REAL_MS_PER_MINUTE;
    }
    harvest(sim, ledger);
    if (now - lastSample >= 1000) {
      lastSample = now;
      // The harness spies (sinon) keep every call; forget them so only the nodes' own memory is measured.
      (helper as unknown as { _sandbox: { resetHistory(): void } })._sandbox.resetHistory();
      record.outputs.length = 0;
      record.statuses.length = 0;
      record.caught.length = 0;
      sim.resetCounters();
      lastOps = 0;
      const usage = process.memoryUsage();
      memory.push({ t: (now - started) / 60_000, rss: usage.rss / 1048576, heap: usage.heapUsed / 1048576 });
    }
    if (now - lastReport >= 30_000) {
      lastReport = now;
      const m = memory[memory.length - 1];
      console.log(
        `  ${((now - started) / REAL_MS_PER_MINUTE).toFixed(0)} min: sent ${ledger.outcomes}, delivered ` +
          `${ledger.delivered.size}, faults ${faults}, rss ${m?.rss.toFixed(0)} MB, heap ${m?.heap.toFixed(0)} MB`,
      );
    }
  }

  // Drain: no more faults; every send ends, every mail that reached the inbox is delivered.
  sim.clearFaults();
  const drainStarted = Date.now();
  while (Date.now() - drainStarted < 60_000) {
    harvest(sim, ledger);
    const missing = [...ledger.inboxed()].filter((s) => !ledger.delivered.has(s)).length;
    if (ledger.pendingSends === 0 && missing === 0) break;
    await sleep(250);
  }
  harvest(sim, ledger);
  delay.disable();
  const stats = takeClientStats();
  await helper.unload();
  await helper.stopServer();
  const inbox = sim.messages(RECEIVER, 'inbox').length;
  await sim.stop();

  // ---- figures ----
  const inboxed = ledger.inboxed();
  const deliveredSubjects = [...ledger.delivered.keys()];
  const dupReceived = [...ledger.delivered.values()].reduce((s, n) => s + n - 1, 0);
  const dupSent = [...ledger.graphSent.values()].reduce((s, n) => s + n - 1, 0);
  const outcomes = [...ledger.sendOutcome.values()];
  const count = (o: SendOutcome) => outcomes.filter((x) => x === o).length;
  const warm = memory.filter((m) => m.t >= (memory[memory.length - 1]?.t ?? 0) * 0.2);
  const rssSlope = slope(warm.map((m) => [m.t, m.rss]));
  const heapSlope = slope(warm.map((m) => [m.t, m.heap]));
  const p99 = delay.percentile(99) / 1e6;
  printFigure(`soak ${options.minutes}min seed=${options.seed}`, {
    in: inboxed.size,
    out: deliveredSubjects.filter((s) => inboxed.has(s)).length,
    dup: dupReceived,
    retries: stats.retries + stats.tokenRefreshes,
    recoverMs: Date.now() - drainStarted,
    extra:
      `dup-sent=${dupSent} sends=${ledger.inputs} sent=${count('sent')} unknown=${count('unknown')} ` +
      `not-sent=${count('not-sent')} faults=${faults} token-expiries=${tokenExpiries} left-in-inbox=${inbox} ` +
      `rss=${warm[0]?.rss.toFixed(0)}..${warm[warm.length - 1]?.rss.toFixed(0)}MB rss-slope=${rssSlope.toFixed(2)}MB/min ` +
      `heap-slope=${heapSlope.toFixed(2)}MB/min el-delay-p99=${p99.toFixed(1)}ms`,
  });

  // ---- invariants ----
  const check = (ok: boolean, what: string) => {
    if (!ok) problems.push(what);
  };
  const notDelivered = [...inboxed].filter((s) => !ledger.delivered.has(s));
  check(notDelivered.length === 0, `${notDelivered.length} mails reached the inbox but were not delivered`);
  const strangers = deliveredSubjects.filter((s) => !inboxed.has(s));
  check(strangers.length === 0, `${strangers.length} mails delivered that never reached the inbox`);
  check(dupSent === 0, `${dupSent} mails sent twice`);
  check(ledger.outcomes === ledger.inputs, `${ledger.inputs} sends but ${ledger.outcomes} outcomes`);
  check(ledger.extraOutcomes === 0, `${ledger.extraOutcomes} sends had more than one outcome`);
  for (const [subject, outcome] of ledger.sendOutcome) {
    const got = ledger.graphSent.get(subject) ?? 0;
    if (outcome === 'sent') check(got === 1, `${subject} reported sent, Graph got it ${got} times`);
    if (outcome === 'not-sent') check(got === 0, `${subject} reported not sent, Graph got it`);
  }
  const unclear = [...ledger.sendMessages.values()].filter((m) => !/not sent|may or may not/.test(m));
  check(unclear.length === 0, `unclear send errors: ${unclear.slice(0, 3).join(' | ')}`);
  check(ledger.delivered.size > 0 && ledger.outcomes > 0, 'nothing moved at all');
  if (problems.length > 0) {
    console.error(
      `soak: ${problems.length} invariant violation(s):\n  ${problems.slice(0, 20).join('\n  ')}`,
    );
    if (options.ci) process.exit(1);
  } else {
    console.log('soak: every invariant held');
  }
  process.exit(0);
}

/** Records each output and Catch message as they come (the record's arrays are cleared each second). */
function watch(ledger: Ledger): void {
  helper.getNode('in0-out').on('input', (msg: { topic: string }) => {
    ledger.delivered.set(msg.topic, (ledger.delivered.get(msg.topic) ?? 0) + 1);
  });
  const settle = (subject: string, outcome: SendOutcome, message?: string) => {
    if (ledger.sendOutcome.has(subject)) ledger.extraOutcomes++;
    else ledger.outcomes++;
    ledger.sendOutcome.set(subject, outcome);
    if (message) ledger.sendMessages.set(subject, message);
  };
  helper.getNode('out-out').on('input', (msg: { _subject: string }) => settle(msg._subject, 'sent'));
  helper.getNode('caught').on('input', (msg: { _subject?: string; error?: { message?: string } }) => {
    if (!msg._subject) return; // a receive error: counted by the invariants on delivery
    const message = String(msg.error?.message);
    settle(msg._subject, /may or may not/.test(message) ? 'unknown' : 'not-sent', message);
  });
}

/** Moves what Graph sent into the ledger and forgets it in the simulator (its list would grow all run). */
function harvest(sim: Simulator, ledger: Ledger): void {
  for (const sent of sim.sent.splice(0)) {
    const subject = sent.message.subject;
    ledger.graphSent.set(subject, (ledger.graphSent.get(subject) ?? 0) + 1);
  }
}

/** Injects one random fault into the next operation(s); returns how many operations it will hit. */
function injectFault(sim: Simulator, random: () => number): number {
  const pick = random();
  if (pick < 0.3) {
    const n = 1 + Math.floor(random() * 3);
    sim.throttleNext(n, { retryAfter: random() < 0.5 ? 0 : null });
    return n;
  }
  if (pick < 0.45) sim.failNext(1, 503);
  else if (pick < 0.55) sim.failNext(1, 504);
  else if (pick < 0.7) sim.dropNext(1, { after: false });
  else if (pick < 0.8) sim.dropNext(1, { after: true });
  else if (pick < 0.9) sim.malformedNext(1);
  else sim.slowNext(1, 2500);
  return 1;
}

main().catch((err: Error) => {
  console.error(`soak failed: ${err.stack ?? err.message}`);
  process.exit(1);
});
