/**
 * Shared set-up for the fault matrix and the security tests: flows with a Catch node, fast retry tuning through
 * RED.settings.o365, counting the Graph clients' own retries, leftover timers and sockets, and FIGURE lines.
 */
import { strict as assert } from 'node:assert';
import { createHook } from 'node:async_hooks';
import { startSimulator, type Simulator } from '../simulator';
import { MailInNode, type Msg as MailInMsg } from '../integration/mail-in-harness';
import {
  accountCredentials,
  accountNode,
  catchModule,
  CONFIG_ID,
  helper,
  mailInProps,
  mailOutProps,
  nodeModules,
  nodeRedSuite,
  waitFor,
} from '../integration/setup';

export { helper, waitFor, CONFIG_ID, mailInProps, mailOutProps, nodeRedSuite };

/**
 * Retry tuning that keeps every case to seconds: 5 attempts, 10 ms base backoff, a 1 s client timeout, and a send of
 * unclear outcome looked for in Sent Items for 0.3 s.
 */
export const FAST_TUNING = {
  timeoutMs: 1000,
  retry: { maxAttempts: 5, baseDelayMs: 10, maxDelayMs: 100, maxTotalDelayMs: 2000, sentItemsWaitMs: 300 },
};

export type Tuning = typeof FAST_TUNING;

/** Gives the config nodes loaded from now on this tuning (src/o365-config.ts reads RED.settings.o365). */
export function useTuning(tuning: Tuning = FAST_TUNING): void {
  helper.settings({ o365: tuning });
}

/** Back to the defaults for later suites. */
export function resetTuning(): void {
  helper.settings({ o365: undefined });
}

// ---- the Graph clients the nodes create, for their retry counters ----

interface ClientStats {
  requests: number;
  retries: number;
  tokenRefreshes: number;
}

/* eslint-disable @typescript-eslint/no-require-imports */
const connectionModule = require('../../nodes/graph/connection.js') as {
  Connection: { prototype: { client: (...args: unknown[]) => { stats: ClientStats } } };
};
/* eslint-enable @typescript-eslint/no-require-imports */
const clients: { stats: ClientStats }[] = [];
const originalClient = connectionModule.Connection.prototype.client;
connectionModule.Connection.prototype.client = function (this: unknown, ...args: unknown[]) {
  const client = originalClient.apply(this, args);
  clients.push(client);
  return client;
};

/** Retries (and 401 token refreshes) of every Graph client created since the last call. */
export function takeClientStats(): ClientStats {
  const sum = { requests: 0, retries: 0, tokenRefreshes: 0 };
  for (const c of clients.splice(0)) {
    sum.requests += c.stats.requests;
    sum.retries += c.stats.retries;
    sum.tokenRefreshes += c.stats.tokenRefreshes;
  }
  return sum;
}

// ---- flows with a Catch node ----

/** What a Catch node passed on: the message and the error text. */
export interface Caught {
  source: string;
  message: string;
  msg: Record<string, unknown>;
}

export interface Status {
  fill?: string;
  shape?: string;
  text?: string;
}

/** Everything the nodes of a loaded flow said: statuses, outputs, errors caught, warnings and log lines. */
export class FlowRecord {
  readonly caught: Caught[] = [];
  readonly statuses: Status[] = [];
  readonly outputs: Record<string, unknown>[] = [];
  readonly warnings: string[] = [];
  /** Texts of node.error calls (with or without a message for Catch nodes). */
  readonly errors: string[] = [];

  /** Node-RED's log while this flow ran (helper.log() spies RED.log). */
  logText(): string {
    const spy = helper.log() as { args: unknown[][] };
    return spy.args.map((args) => safeJson(args)).join('\n');
  }

  /** One text with every status, output, caught error, warning and log line, for secret scans. */
  everything(): string {
    return [
      safeJson(this.statuses),
      safeJson(this.outputs),
      safeJson(this.caught),
      safeJson(this.warnings),
      safeJson(this.errors),
      this.logText(),
    ].join('\n');
  }
}

/** JSON of anything, Buffers as their length (binary payloads would only make the text huge). */
export function safeJson(value: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, function (_key, v: unknown) {
    if (v && typeof v === 'object') {
      if (Buffer.isBuffer(v) || (v as { type?: string }).type === 'Buffer') return '[buffer]';
      if (seen.has(v)) return '[circular]';
      seen.add(v);
    }
    if (v instanceof Error) return { name: v.name, message: v.message, stack: v.stack };
    return v;
  });
}

let tabs = 0;

/**
 * Loads the account, the given nodes (each wired to a helper sink), and a Catch node for the whole tab.
 * Returns the record of what they did.
 */
export async function loadFlow(
  sim: Simulator,
  nodes: Record<string, unknown>[],
  options: { credentials?: Record<string, string>; account?: Record<string, unknown> } = {},
): Promise<FlowRecord> {
  const { config, mailIn, mailOut } = nodeModules();
  const tab = `rtab${++tabs}`;
  const flow: Record<string, unknown>[] = [
    { id: tab, type: 'tab', label: 'reliability' },
    accountNode(sim, options.account),
    // x and y make them flow nodes, as the editor saves them (without, Node-RED takes them for config nodes).
    {
      id: 'catcher',
      z: tab,
      type: 'catch',
      name: '',
      scope: null,
      uncaught: false,
      wires: [['caught']],
      x: 0,
      y: 0,
    },
    { id: 'caught', z: tab, type: 'helper', x: 0, y: 0 },
  ];
  for (const node of nodes) {
    flow.push({ z: tab, name: '', account: CONFIG_ID, wires: [[`${node.id}-out`]], x: 0, y: 0, ...node });
    flow.push({ id: `${node.id}-out`, z: tab, type: 'helper', x: 0, y: 0 });
  }
  await helper.load(
    [config, mailIn, mailOut, catchModule()],
    flow,
    accountCredentials(sim, options.credentials),
  );
  const record = new FlowRecord();
  helper.getNode('caught').on('input', (msg: Record<string, unknown>) => {
    const error = (msg.error ?? {}) as { message?: string; source?: { id?: string } };
    record.caught.push({ source: String(error.source?.id), message: String(error.message), msg });
  });
  for (const node of nodes) {
    helper.getNode(`${node.id}-out`).on('input', (msg: Record<string, unknown>) => record.outputs.push(msg));
    const red = helper.getNode(String(node.id));
    red.on('call:status', (call: { args: [Status] }) => record.statuses.push(call.args[0]));
    red.on('call:warn', (call: { args: [unknown] }) => record.warnings.push(String(call.args[0])));
    red.on('call:error', (call: { args: [unknown] }) => record.errors.push(String(call.args[0])));
  }
  return record;
}

// ---- receive ----

/** Loads `count` mail-in nodes (ids in0, in1, ...) with a Catch node; each delivers into its MailInNode record. */
export async function loadReceivers(
  sim: Simulator,
  mailbox: string,
  props: Record<string, unknown>,
  count = 1,
): Promise<{ nodes: MailInNode[]; record: FlowRecord }> {
  const defs = Array.from({ length: count }, (_, i) => ({ id: `in${i}`, ...mailInProps(mailbox, props) }));
  const record = await loadFlow(sim, defs);
  const nodes = defs.map((def) => {
    const node = new MailInNode(helper.getNode(def.id));
    helper.getNode(`${def.id}-out`).on('input', (msg: MailInMsg) => node.messages.push(msg));
    return node;
  });
  return { nodes, record };
}

// ---- send ----

export type SendOutcome =
  | { kind: 'sent'; msg: Record<string, unknown> }
  | { kind: 'error'; message: string; msg: Record<string, unknown> };

/** A loaded mail-out node: outcomes per input come from its output (sent) or the Catch node (error). */
export class SendNode {
  private counter = 0;
  readonly outcomes = new Map<string, SendOutcome>();

  constructor(
    readonly record: FlowRecord,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    readonly node: any,
  ) {
    helper.getNode('out-out').on('input', (msg: Record<string, unknown>) => {
      this.outcomes.set(String(msg._case), { kind: 'sent', msg });
    });
    helper.getNode('caught').on('input', (msg: Record<string, unknown>) => {
      const error = (msg.error ?? {}) as { message?: string };
      this.outcomes.set(String(msg._case), { kind: 'error', message: String(error.message), msg });
    });
  }

  /** Feeds a message in without waiting; returns its case id. */
  input(msg: Record<string, unknown>): string {
    const id = `c${++this.counter}`;
    this.node.receive({ ...msg, _case: id });
    return id;
  }

  async outcome(id: string, timeoutMs = 15_000): Promise<SendOutcome> {
    await waitFor(() => this.outcomes.has(id), timeoutMs, `the outcome of message ${id}`);
    return this.outcomes.get(id) as SendOutcome;
  }
}

/** Loads one o365-mail-out node (id `out`) with a Catch node. */
export async function loadSender(
  sim: Simulator,
  mailbox: string,
  props: Record<string, unknown> = {},
  options: { credentials?: Record<string, string> } = {},
): Promise<SendNode> {
  const record = await loadFlow(sim, [{ id: 'out', ...mailOutProps(mailbox, props) }], options);
  return new SendNode(record, helper.getNode('out'));
}

// ---- timers and sockets ----

/** With DEBUG_HANDLES=1, where each timer still running was created (printed when one is left behind). */
const liveTimers = new Map<number, { stack: string; timer: { hasRef(): boolean; _destroyed?: boolean } }>();
if (process.env.DEBUG_HANDLES) {
  createHook({
    init(id, type, _trigger, resource) {
      if (type === 'Timeout')
        liveTimers.set(id, { stack: new Error().stack ?? '', timer: resource as { hasRef(): boolean } });
    },
    destroy(id) {
      liveTimers.delete(id);
    },
  }).enable();
}

const WATCHED = ['Timeout', 'TCPSocketWrap', 'TLSWrap', 'Immediate'];

/** Counts of the active resources that a node could leave behind (timers and sockets). */
export function activeHandles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of WATCHED) counts[kind] = 0;
  for (const kind of process.getActiveResourcesInfo()) if (kind in counts) counts[kind]++;
  return counts;
}

/** Waits (bounded) until no more timers or sockets are active than in `before`; fails naming what is left. */
export async function assertNothingLeft(before: Record<string, number>, timeoutMs = 4000): Promise<void> {
  const extra = () => {
    const now = activeHandles();
    return Object.entries(now)
      .filter(([kind, n]) => n > (before[kind] ?? 0))
      .map(([kind, n]) => `${kind} +${n - (before[kind] ?? 0)}`);
  };
  const deadline = Date.now() + timeoutMs;
  // Checked right after a timer of ours fired, so our own wait is not counted.
  while (extra().length > 0) {
    if (Date.now() > deadline) {
      if (process.env.DEBUG_HANDLES)
        for (const t of liveTimers.values())
          if (t.timer.hasRef() && !t.timer._destroyed) console.log(t.stack);
      assert.fail(`left behind after close: ${extra().join(', ')}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

// ---- figures ----

export interface Figure {
  in: number;
  out: number;
  dup: number;
  retries: number;
  /** Milliseconds from the end of the fault (or the start of the run) until everything was done. */
  recoverMs: number;
  extra?: string;
}

/** Prints one FIGURE line for the README's Reliability table. */
export function printFigure(name: string, f: Figure): void {
  const extra = f.extra ? ` ${f.extra}` : '';
  console.log(
    `      FIGURE ${name}: in=${f.in} out=${f.out} dup=${f.dup} retries=${f.retries} recover=${(f.recoverMs / 1000).toFixed(2)}s${extra}`,
  );
}

/** How many entries repeat an earlier one. */
export function duplicates(values: string[]): number {
  return values.length - new Set(values).size;
}

/**
 * Registers the hooks every fault-matrix suite shares: fast retry tuning, a fresh simulator and Node-RED per case,
 * and the check that the nodes left no timer or socket behind. Returns the running case's simulator.
 */
export function freshRuntimePerCase(mailboxes: string[]): () => Simulator {
  let sim: Simulator | undefined;
  let handlesBefore: Record<string, number> = {};
  before(() => useTuning());
  after(() => resetTuning());
  beforeEach(async () => {
    sim = await startSimulator({ mailboxes });
    handlesBefore = activeHandles();
    await helper.startServer();
    takeClientStats();
  });
  afterEach(async function () {
    await helper.unload();
    await helper.stopServer();
    // The simulator still runs: only what the nodes (or Node-RED for them) started can be left.
    if (this.currentTest?.state === 'passed') await assertNothingLeft(handlesBefore);
    await sim?.stop();
  });
  return () => {
    if (!sim) throw new Error('no simulator outside a test case');
    return sim;
  };
}
