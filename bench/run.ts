/**
 * The performance benchmark (issues #4 and #5): `npm run bench [-- --quick] [-- --strict]`. Prints a table per
 * section and a final `BENCH_JSON {...}` line; see bench/README.md for what each figure means.
 */
import { MAILBOX_CONCURRENCY } from '../src/graph/limiter';
import { markReadLikeNaive, markReadWithEngine, type ActRun } from './act';
import { cursorFigures, measureCursorAtBound } from './cursor';
import { atLeast, atMost, Figure, info, MB, round, table } from './measure';
import { idlePush, percentile, pollingLatency, pushLatency } from './push';
import { MESSAGE_SUBSCRIPTION_MINUTES } from '../src/graph/subscriptions';
import { receiveLikeInterlok, receiveWithEngine, type ReceiveRun } from './receive';
import {
  naivePlainMails,
  sendAttachmentLikeNaive,
  sendAttachmentWithEngine,
  sendLikeNaive,
  sendPlainWithEngine,
  type SendRun,
} from './send';
import { connectTo, effectiveLatencyMs, mailboxOperations, SimProcess } from './sim-control';

interface Sizes {
  /** Mails landing one at a time, per push run. */
  pushMails: number;
  /** The compressed idle window of push. */
  idleWindowMs: number;
  actions: number;
  receiveMails: number;
  baselineReceiveMails: number;
  sendMails: number;
  baselineSendMails: number;
  attachmentBytes: number;
}

const FULL: Sizes = {
  pushMails: 40,
  idleWindowMs: 30_000,
  actions: 1_000,
  receiveMails: 10_000,
  baselineReceiveMails: 1_000,
  sendMails: 1_000,
  baselineSendMails: 250,
  attachmentBytes: 100 * MB,
};
const QUICK: Sizes = {
  pushMails: 12,
  idleWindowMs: 12_000,
  actions: 200,
  receiveMails: 2_000,
  baselineReceiveMails: 200,
  sendMails: 200,
  baselineSendMails: 50,
  attachmentBytes: 20 * MB,
};

const LATENCY_MS = 20;
const READ_BOX = 'drain@contoso.example';
const NONE_BOX = 'watch@contoso.example';
const INTERLOK_BOX = 'interlok@contoso.example';
const SENDER = 'billing@contoso.example';
const ACT_BOX = 'triage@contoso.example';
const ACT_NAIVE_BOX = 'triage.naive@contoso.example';
const PUSH_BOX = 'push@contoso.example';
/** Mails land this far apart in the push runs: more than the coalescer's second, so each is a mail on its own. */
const PUSH_SPACING_MS = 1500;
/** The polling the push figures are set beside, and push's safety net. */
const POLL_EVERY_S = 60;
const SAFETY_NET_S = 900;

const USAGE = `usage: tsx bench/run.ts [--quick] [--strict] [--only receive|send|act|push]
  --quick   smaller run (${QUICK.receiveMails} mails, ${QUICK.attachmentBytes / MB} MB attachment) for CI and developers
  --strict  exit with status 1 when any figure misses its target
  --only    run only the sections whose title starts with this word`;

function parseArgs(argv: string[]): { quick: boolean; strict: boolean; only?: string } {
  const args: { quick: boolean; strict: boolean; only?: string } = { quick: false, strict: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') args.quick = true;
    else if (arg === '--only' && argv[i + 1]) args.only = argv[++i].toLowerCase();
    else if (arg === '--strict') args.strict = true;
    else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument '${arg}'\n${USAGE}`);
  }
  return args;
}

/** The wall-time target at the nominal latency, and the same ratio at the measured end-to-end operation time. */
function wallFigures(
  prefix: string,
  wallMs: number,
  operations: number,
  effectiveMs: number,
  limit = 1.1,
): Figure[] {
  const ideal = (operations * LATENCY_MS) / MAILBOX_CONCURRENCY;
  const effective = (operations * effectiveMs) / MAILBOX_CONCURRENCY;
  return [
    {
      ...atMost(`${prefix}.wallVsIdeal`, 'wall time / (ops x latency / 4)', wallMs / ideal, '', limit),
      note: `wall ${round(wallMs / 1000)} s for ${operations} mailbox operations; ideal ${round(ideal / 1000)} s`,
    },
    {
      ...info(
        `${prefix}.wallVsMeasuredOp`,
        'wall time / (ops x measured op time / 4)',
        wallMs / effective,
        '',
      ),
      note: `one operation measured end to end (sequential GETs): ${round(effectiveMs)} ms at ${LATENCY_MS} ms latency`,
    },
  ];
}

function receiveFigures(run: ReceiveRun, base: ReceiveRun, expected: number, effectiveMs: number): Figure[] {
  const operations = mailboxOperations(run.counters);
  const perMail = (n: number, r: ReceiveRun) => n / Math.max(1, r.mails);
  return [
    ...wallFigures('receive.read', run.wallMs, operations, effectiveMs),
    {
      ...atMost('receive.read.opsPerMail', 'Graph operations per mail', perMail(operations, run), '', 1.02),
      baseline: perMail(mailboxOperations(base.counters), base),
    },
    {
      ...atMost(
        'receive.read.roundTripsPerMail',
        'HTTP round trips per mail',
        perMail(run.counters.graphRequests, run),
        '',
        0.07,
      ),
      baseline: perMail(base.counters.graphRequests, base),
    },
    {
      ...atMost(
        'receive.read.peakRssGrowthMB',
        'peak RSS growth over the run',
        run.peakRssGrowth / MB,
        'MB',
        100,
      ),
      baseline: base.peakRssGrowth / MB,
      note: `RSS at the end: ${round(run.endRssGrowth / MB)} MB above the start`,
    },
    {
      ...info('receive.read.msPerMail', 'wall time per mail', run.wallMs / run.mails, 'ms'),
      baseline: base.wallMs / base.mails,
    },
    {
      ...info('receive.read.mailsPerSecond', 'mails per second', (run.mails * 1000) / run.wallMs, '/s'),
      baseline: (base.mails * 1000) / base.wallMs,
      higherIsBetter: true,
    },
    atMost('receive.read.lost', 'mails not delivered', expected - run.distinct, '', 0),
    atMost('receive.read.duplicates', 'mails delivered twice', run.mails - run.distinct, '', 0),
    atMost('receive.read.unreadAfter', 'unread mails left in the inbox', run.unreadAfter, '', 0),
  ];
}

/** Issue #12: mark-read actions within 115% of ops x 20 ms / 4, at most 0.07 round trips per action. */
function actFigures(run: ActRun, base: ActRun, expected: number, effectiveMs: number): Figure[] {
  const operations = mailboxOperations(run.counters);
  const perAction = (n: number, r: ActRun) => n / Math.max(1, r.done);
  return [
    ...wallFigures('act.markRead', run.wallMs, operations, effectiveMs, 1.15),
    {
      ...atMost(
        'act.markRead.roundTripsPerAction',
        'HTTP round trips per action',
        perAction(run.counters.graphRequests, run),
        '',
        0.07,
      ),
      baseline: perAction(base.counters.graphRequests, base),
      note: `${run.counters.batchRequests} $batch requests, ${run.counters.throttled} answered 429`,
    },
    {
      ...info('act.markRead.opsPerAction', 'Graph operations per action', perAction(operations, run), ''),
      baseline: perAction(mailboxOperations(base.counters), base),
    },
    {
      ...info('act.markRead.msPerAction', 'wall time per action', run.wallMs / Math.max(1, run.done), 'ms'),
      baseline: base.wallMs / Math.max(1, base.done),
    },
    {
      ...atMost('act.markRead.failed', 'actions not done', expected - run.done, '', 0),
      note: run.error ? `first failure: ${run.error}` : undefined,
    },
    atMost('act.markRead.unreadAfter', 'unread mails left in the inbox', run.unreadAfter, '', 0),
  ];
}

function noneFigures(at20: ReceiveRun, at0: ReceiveRun, expected: number): Figure[] {
  const rate = (r: ReceiveRun) => (r.mails * 1000) / r.wallMs;
  const ops20 = mailboxOperations(at20.counters);
  return [
    {
      ...atLeast(
        'receive.none.mailsPerSecond.latency20',
        'mails per second, 20 ms latency',
        rate(at20),
        '/s',
        2000,
      ),
      note: `${at20.mails} mails in ${round(at20.wallMs / 1000)} s, ${ops20} operations, ${at20.polls} polls`,
    },
    {
      ...info('receive.none.mailsPerSecond.latency0', 'mails per second, no latency', rate(at0), '/s'),
      note: `reference (the target is judged at 20 ms); ${at0.mails} mails in ${round(at0.wallMs / 1000)} s`,
    },
    info(
      'receive.none.opsPerMail',
      'Graph operations per mail (20 ms run)',
      ops20 / Math.max(1, at20.mails),
      '',
    ),
    info('receive.none.peakRssGrowthMB', 'peak RSS growth (20 ms run)', at20.peakRssGrowth / MB, 'MB'),
    atMost('receive.none.lost', 'mails not delivered (20 ms run)', expected - at20.distinct, '', 0),
    atMost(
      'receive.none.duplicates',
      'mails delivered twice (both runs)',
      at20.mails - at20.distinct + (at0.mails - at0.distinct),
      '',
      0,
    ),
  ];
}

/** Push next to polling: arrival-to-message times, and the Graph operations of an idle hour. */
async function pushFigures(
  sim: SimProcess,
  connection: ReturnType<typeof connectTo>,
  sizes: Sizes,
  runs: Record<string, unknown>,
) {
  const spaced = { mails: sizes.pushMails, spacingMs: PUSH_SPACING_MS };
  const at0 = await pushLatency(sim, connection, PUSH_BOX, { ...spaced, delayMs: 0 });
  const at1 = await pushLatency(sim, connection, PUSH_BOX, { ...spaced, delayMs: 1000 });
  const polling = await pollingLatency(sim, connection, PUSH_BOX, {
    intervalS: POLL_EVERY_S,
    samples: sizes.pushMails,
  });
  // Compressed: a safety net every 3 s and a lifetime of 8 s (renewed every 6 s) show what an idle node does.
  const idle = await idlePush(sim, connection, PUSH_BOX, {
    windowMs: sizes.idleWindowMs,
    safetyNetSeconds: 3,
    lifetimeMs: 8000,
  });
  const idleOps = mailboxOperations(idle.counters);
  const renewals = idle.counters.byOperation.updateSubscription;
  const beyond = idleOps - renewals - idle.polls * polling.opsPerEmptyPoll;
  // An hour at the real schedule: the safety-net polls, and a renewal an hour before each expiration (10,079 min).
  const renewalsPerHour = 60 / (MESSAGE_SUBSCRIPTION_MINUTES - 60);
  const pushPerHour = (3600 / SAFETY_NET_S) * polling.opsPerEmptyPoll + renewalsPerHour;
  const pollingPerHour = (3600 / POLL_EVERY_S) * polling.opsPerEmptyPoll;
  const ms = (values: number[], p: number) => percentile(values, p);
  runs.push = {
    delay0: { latencies: at0.latencies.map(round), polls: at0.polls, notifications: at0.notifications },
    delay1000: { latencies: at1.latencies.map(round), polls: at1.polls, notifications: at1.notifications },
    polling: { pollMs: polling.pollMs.map(round), opsPerEmptyPoll: polling.opsPerEmptyPoll },
    idle: { ops: idleOps, polls: idle.polls, renewals, windowMs: sizes.idleWindowMs },
  };
  const pollNote = `the wait for the next poll from the ${POLL_EVERY_S} s schedule (mails land evenly over it), plus each poll's measured time (median ${round(ms(polling.pollMs, 50))} ms)`;
  return [
    {
      ...atMost(
        'push.delay0.p50Ms',
        'arrival to message, push, delay 0: p50',
        ms(at0.latencies, 50),
        'ms',
        1000,
      ),
      baseline: ms(polling.latencies, 50),
      note: `${sizes.pushMails} mails ${PUSH_SPACING_MS} ms apart, ${at0.notifications} notifications, ${at0.polls} polls; baseline: polling every ${POLL_EVERY_S} s`,
    },
    {
      ...info('push.delay0.p99Ms', 'arrival to message, push, delay 0: p99', ms(at0.latencies, 99), 'ms'),
      baseline: ms(polling.latencies, 99),
    },
    {
      ...info('push.delay1s.p50Ms', 'arrival to message, push, delay 1 s: p50', ms(at1.latencies, 50), 'ms'),
      baseline: ms(polling.latencies, 50),
    },
    {
      ...info('push.delay1s.p99Ms', 'arrival to message, push, delay 1 s: p99', ms(at1.latencies, 99), 'ms'),
      baseline: ms(polling.latencies, 99),
    },
    {
      ...info(
        'polling60.p50Ms',
        `arrival to message, polling every ${POLL_EVERY_S} s: p50`,
        ms(polling.latencies, 50),
        'ms',
      ),
      note: pollNote,
    },
    info(
      'polling60.p99Ms',
      `arrival to message, polling every ${POLL_EVERY_S} s: p99`,
      ms(polling.latencies, 99),
      'ms',
    ),
    {
      ...atMost(
        'push.idle.opsBeyondPollsAndRenewals',
        'idle push: operations besides safety-net polls and renewals',
        beyond,
        '',
        0,
      ),
      note: `compressed run of ${sizes.idleWindowMs / 1000} s (safety net every 3 s, renewal every 6 s): ${idleOps} operations, ${idle.polls} polls x ${round(polling.opsPerEmptyPoll)}, ${renewals} renewals`,
    },
    {
      ...info('push.idle.opsPerHour', 'Graph operations per idle hour, push', pushPerHour, ''),
      baseline: pollingPerHour,
      note: `${3600 / SAFETY_NET_S} safety-net polls x ${round(polling.opsPerEmptyPoll)} + ${round(renewalsPerHour)} renewals (one a week); baseline: polling every ${POLL_EVERY_S} s, ${3600 / POLL_EVERY_S} polls x ${round(polling.opsPerEmptyPoll)}`,
    },
    info(
      'polling60.opsPerHour',
      `Graph operations per idle hour, polling every ${POLL_EVERY_S} s`,
      pollingPerHour,
      '',
    ),
  ];
}

/** One section: its title, how it is measured, and failures that do not stop the other sections. */
type Section = (title: string, body: () => Promise<Figure[]>) => Promise<void>;

async function runSections(sim: SimProcess, sizes: Sizes, section: Section, runs: Record<string, unknown>) {
  const connection = connectTo(sim);
  try {
    await sim.seed(READ_BOX, sizes.receiveMails);
    await sim.seed(NONE_BOX, sizes.receiveMails);
    await sim.seed(INTERLOK_BOX, sizes.baselineReceiveMails);
    await sim.seed(ACT_BOX, sizes.actions);
    await sim.seed(ACT_NAIVE_BOX, sizes.actions);
    const effectiveMs = await effectiveLatencyMs(connection, SENDER);
    runs.measuredOperationMs = round(effectiveMs);

    const receiveTitle = `Receive, action read: drain ${sizes.receiveMails} unread mails`;
    await section(`${receiveTitle} (naive: ${sizes.baselineReceiveMails} mails, per mail)`, async () => {
      const run = await receiveWithEngine(sim, connection, READ_BOX, 'read');
      const base = await receiveLikeInterlok(sim, connection, INTERLOK_BOX);
      runs.receiveRead = summary(run);
      runs.receiveReadInterlok = summary(base);
      return receiveFigures(run, base, sizes.receiveMails, effectiveMs);
    });

    await section(
      `Receive, action none: ${sizes.receiveMails} unread mails, at ${LATENCY_MS} ms and at 0 ms`,
      async () => {
        const at20 = await receiveWithEngine(sim, connection, NONE_BOX, 'none');
        await sim.ask({ cmd: 'setLatency', ms: 0 });
        const at0 = await receiveWithEngine(sim, connection, NONE_BOX, 'none').finally(() =>
          sim.ask({ cmd: 'setLatency', ms: LATENCY_MS }),
        );
        runs.receiveNone20 = summary(at20);
        runs.receiveNone0 = summary(at0);
        return noneFigures(at20, at0, sizes.receiveMails);
      },
    );
    await section(`Receive, action none: the cursor at its bound`, async () => {
      const run = await measureCursorAtBound();
      runs.cursor = run;
      return cursorFigures(run);
    });

    await section(
      `Send: ${sizes.sendMails} plain mails (naive: ${sizes.baselineSendMails} mails, per mail)`,
      async () => {
        const run = await sendPlainWithEngine(sim, connection, SENDER, sizes.sendMails);
        const base = await sendLikeNaive(sim, connection, SENDER, () =>
          naivePlainMails(sizes.baselineSendMails),
        );
        runs.sendPlain = sendSummary(run);
        runs.sendPlainNaive = sendSummary(base);
        const ops = mailboxOperations(run.counters);
        return [
          ...wallFigures('send.plain', run.wallMs, ops, effectiveMs),
          {
            ...atMost(
              'send.plain.opsPerMail',
              'Graph operations per mail',
              ops / Math.max(1, run.sent),
              '',
              1,
            ),
            baseline: mailboxOperations(base.counters) / Math.max(1, base.sent),
          },
          {
            ...info('send.plain.msPerMail', 'wall time per mail', run.wallMs / sizes.sendMails, 'ms'),
            baseline: base.wallMs / sizes.baselineSendMails,
          },
          atMost('send.plain.failed', 'mails not sent', run.failed, '', 0),
        ];
      },
    );

    await section(
      `Act: mark ${sizes.actions} mails read at once (naive: one PATCH per mail, 4 at a time)`,
      async () => {
        const run = await markReadWithEngine(sim, connection, ACT_BOX);
        const base = await markReadLikeNaive(sim, connection, ACT_NAIVE_BOX);
        runs.actMarkRead = actSummary(run);
        runs.actMarkReadNaive = actSummary(base);
        return actFigures(run, base, sizes.actions, effectiveMs);
      },
    );

    await section(
      `Push: ${sizes.pushMails} mails one at a time, notification delay 0 and 1 s (naive: polling every ${POLL_EVERY_S} s)`,
      () => pushFigures(sim, connection, sizes, runs),
    );

    const size = sizes.attachmentBytes;
    await section(`Send: one mail with a ${size / MB} MB attachment`, async () => {
      const run = await sendAttachmentWithEngine(sim, connection, SENDER, size);
      const base = await sendAttachmentLikeNaive(sim, connection, SENDER, size);
      runs.sendAttachment = { ...sendSummary(run), byteExact: run.byteExact, storedBytes: run.storedBytes };
      runs.sendAttachmentNaive = sendSummary(base);
      const ops = mailboxOperations(run.counters);
      return [
        {
          ...atLeast(
            'send.attachment.byteExact',
            'stored attachment = input (SHA-256)',
            run.byteExact ? 1 : 0,
            '',
            1,
          ),
          note: run.error
            ? `send failed: ${run.error}`
            : `${run.storedBytes} bytes stored, ${ops} operations, ${run.counters.graphRequests} round trips`,
        },
        {
          ...atMost(
            'send.attachment.peakRssPerSize',
            'peak RSS growth / attachment size',
            run.peakRssGrowth / size,
            'x',
            3,
          ),
          baseline: base.peakRssGrowth / size,
          note: 'measured from before the input Buffer was made, so the input itself counts 1x',
        },
        {
          ...info('send.attachment.peakRssGrowthMB', 'peak RSS growth', run.peakRssGrowth / MB, 'MB'),
          baseline: base.peakRssGrowth / MB,
        },
        {
          ...info('send.attachment.wallS', 'wall time', run.wallMs / 1000, 's'),
          note: `naive inline sendMail: ${base.sent ? 'sent' : `not sent (${base.error ?? 'unknown'})`}`,
        },
      ];
    });
  } finally {
    connection.close();
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const sizes = args.quick ? QUICK : FULL;
  const started = Date.now();
  const figures: Figure[] = [];
  const runs: Record<string, unknown> = {};
  const errors: string[] = [];
  const section: Section = async (title, body) => {
    if (args.only && !title.toLowerCase().startsWith(args.only)) return;
    process.stderr.write(`bench: ${title} ...\n`);
    try {
      const result = await body();
      figures.push(...result);
      console.log(table(title, result));
    } catch (err) {
      errors.push(`${title}: ${(err as Error).stack ?? err}`);
      console.log(`\n== ${title}\n  FAILED: ${(err as Error).message}`);
    }
  };

  console.log(
    'Driving the engines directly (src/receive Receiver; src/send Sender behind the node SendQueue; no Node-RED) ' +
      `against the simulator in a child process: ${LATENCY_MS} ms per operation, ${MAILBOX_CONCURRENCY} at once ` +
      'per mailbox, no rate limit.',
  );
  const sim = await SimProcess.start({
    latencyMs: LATENCY_MS,
    concurrencyLimit: MAILBOX_CONCURRENCY,
    mailboxes: [READ_BOX, NONE_BOX, INTERLOK_BOX, SENDER, ACT_BOX, ACT_NAIVE_BOX, PUSH_BOX],
  });
  try {
    await runSections(sim, sizes, section, runs);
  } finally {
    await sim.stop();
  }

  const misses = figures.filter((f) => f.pass === false).map((f) => f.key);
  const passes = figures.filter((f) => f.pass === true).length;
  const failed = errors.length ? `, ${errors.length} section(s) FAILED` : '';
  console.log(
    `\n${passes} PASS, ${misses.length} MISS${failed} in ${round((Date.now() - started) / 1000)} s`,
  );
  for (const error of errors) console.error(error);
  const json = {
    mode: args.quick ? 'quick' : 'full',
    driver: 'engines',
    latencyMs: LATENCY_MS,
    concurrencyLimit: MAILBOX_CONCURRENCY,
    sizes,
    figures: Object.fromEntries(figures.map((f) => [f.key, jsonFigure(f)])),
    misses,
    errors: errors.map((e) => e.split('\n')[0]),
    runs,
  };
  console.log(`BENCH_JSON ${JSON.stringify(json)}`);
  if (errors.length > 0 || (args.strict && misses.length > 0)) process.exitCode = 1;
}

function jsonFigure(f: Figure): Record<string, unknown> {
  return {
    value: round(f.value),
    unit: f.unit,
    target: f.target,
    pass: f.pass,
    baseline: f.baseline === undefined ? undefined : round(f.baseline),
  };
}

/** What every run's counters say, for the JSON line. */
function counterSummary(c: ReceiveRun['counters']): Record<string, unknown> {
  return {
    mailboxOperations: mailboxOperations(c),
    graphRequests: c.graphRequests,
    throttled: c.throttled,
    maxInFlight: c.maxInFlightByMailbox,
    schemaViolations: c.schemaViolations,
  };
}

/** The operations a run used, with their counts. */
function operationsUsed(c: ReceiveRun['counters']): Record<string, number> {
  return Object.fromEntries(Object.entries(c.byOperation).filter(([, n]) => n > 0));
}

/** A receive run without bulky parts, for the JSON line. */
function summary(run: ReceiveRun): Record<string, unknown> {
  return {
    mails: run.mails,
    distinct: run.distinct,
    polls: run.polls,
    wallMs: Math.round(run.wallMs),
    ...counterSummary(run.counters),
    batchRequests: run.counters.batchRequests,
    byOperation: operationsUsed(run.counters),
    unreadAfter: run.unreadAfter,
    peakRssGrowthMB: round(run.peakRssGrowth / MB),
    endRssGrowthMB: round(run.endRssGrowth / MB),
    problems: run.problems.slice(0, 5),
  };
}

/** An action run without bulky parts, for the JSON line. */
function actSummary(run: ActRun): Record<string, unknown> {
  return {
    done: run.done,
    failed: run.failed,
    error: run.error,
    wallMs: Math.round(run.wallMs),
    ...counterSummary(run.counters),
    batchRequests: run.counters.batchRequests,
    unreadAfter: run.unreadAfter,
    peakRssGrowthMB: round(run.peakRssGrowth / MB),
  };
}

/** A send run without bulky parts, for the JSON line. */
function sendSummary(run: SendRun): Record<string, unknown> {
  return {
    sent: run.sent,
    failed: run.failed,
    error: run.error,
    wallMs: Math.round(run.wallMs),
    ...counterSummary(run.counters),
    byOperation: operationsUsed(run.counters),
    peakRssGrowthMB: round(run.peakRssGrowth / MB),
  };
}

main().catch((err: Error) => {
  console.error(err.message.startsWith('unknown argument') ? err.message : (err.stack ?? err.message));
  process.exitCode = 1;
});
