/**
 * Shared set-up for tests that load the nodes into the real Node-RED runtime (node-red-node-test-helper) against the
 * simulator. NODE_RED_PATH selects another Node-RED (CI runs the suite again on Node-RED 5).
 */
import helper from 'node-red-node-test-helper';
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startSimulator, type Simulator, type SimulatorOptions } from '../simulator';
import { simAccountProperties } from '../support/sim-connection';

const runtime = process.env.NODE_RED_PATH
  ? require.resolve(path.resolve(process.env.NODE_RED_PATH))
  : require.resolve('node-red');
helper.init(runtime);

export { helper };

export const CONFIG_ID = 'account1';

/** The built node modules (npm test builds before testing). */
/* eslint-disable @typescript-eslint/no-require-imports */
export function nodeModules() {
  return {
    config: require('../../nodes/o365-config.js'),
    mailIn: require('../../nodes/o365-mail-in.js'),
    mailOut: require('../../nodes/o365-mail-out.js'),
    mailAction: require('../../nodes/o365-mail-action.js'),
  };
}
/* eslint-enable @typescript-eslint/no-require-imports */

/** One of Node-RED's own nodes (`common/25-catch`, `function/10-function`...), from the runtime the tests run on. */
export function coreNodeModule(name: string): unknown {
  const file = require.resolve(`@node-red/nodes/core/${name}.js`, { paths: [path.dirname(runtime)] });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(file);
}

/** Node-RED's own Catch node. */
export function catchModule(): unknown {
  return coreNodeModule('common/25-catch');
}

export interface SuiteOptions {
  /** The simulator to start. */
  simulator: SimulatorOptions;
  /** A fresh simulator for each test; otherwise one for the suite, its faults, latency and counters reset per test. */
  freshSimulator?: boolean;
  /** Runtime tuning for each test, as settings.js `o365` holds it (fast retries for fault tests). */
  tuning?: Record<string, unknown>;
  /** Puts the shared simulator back before each test, beyond its faults, latency and counters. */
  reset?: (sim: Simulator) => void;
  /** After each test, check that every request and answer followed Graph's schemas. */
  checkSchemas?: boolean;
}

/**
 * The hooks of a suite that loads the nodes into Node-RED against the simulator: the simulator, Node-RED's test server
 * and the tuning for each test, and the schema check. After each test the simulator is left idle (Graph finishes a
 * request whose client gave up: it must not land in the next test). `use` is given each simulator as it starts.
 */
export function nodeRedSuite(options: SuiteOptions, use: (sim: Simulator) => void): void {
  let sim: Simulator | undefined;
  const start = async () => {
    sim = await startSimulator(options.simulator);
    use(sim);
  };
  before(async () => {
    if (!options.freshSimulator) await start();
  });
  after(async () => {
    if (!options.freshSimulator) await sim?.stop();
  });
  beforeEach(async () => {
    if (options.freshSimulator) await start();
    else if (sim) {
      sim.clearFaults();
      sim.setLatency(0);
      options.reset?.(sim);
      sim.resetCounters();
    }
    if (options.tuning) helper.settings({ o365: options.tuning });
    await helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
    await sim?.idle();
    await helper.stopServer();
    if (options.tuning) helper.settings({ o365: undefined });
    const violations = sim?.schemaViolations ?? [];
    if (options.freshSimulator) await sim?.stop();
    if (options.checkSchemas)
      assert.deepEqual(violations, [], 'requests and answers follow the Graph schemas');
  });
}

/** An o365-config node pointed at the simulator. */
export function accountNode(sim: Simulator, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: CONFIG_ID,
    type: 'o365-config',
    name: 'simulator',
    ...simAccountProperties(sim),
    certificateThumbprint: '',
    ...extra,
  };
}

/** Credentials for the account node: the simulator app's secret unless given. */
export function accountCredentials(
  sim: Simulator,
  credentials?: Record<string, string>,
  configId = CONFIG_ID,
): Record<string, object> {
  return { [configId]: credentials ?? { clientSecret: sim.app.secrets?.[0]?.value ?? '' } };
}

/** A status a node showed. */
export type Status = { fill?: string; shape?: string; text?: string };

/** Records every status the loaded nodes with these ids show from now on, by id. */
export function recordStatuses(ids: string[]): Record<string, Status[]> {
  const seen: Record<string, Status[]> = {};
  for (const id of ids) {
    seen[id] = [];
    helper.getNode(id).on('call:status', (call: { args: [Status] }) => seen[id].push(call.args[0]));
  }
  return seen;
}

/** Resolves when `predicate` holds, polling every 10 ms; rejects after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

let caseCounter = 0;

/**
 * The messages a test feeds into one node, each marked with a case id (`msg._case`), and what became of each: the
 * harness of a node records an outcome per case as its output or its error arrives.
 */
export class MessageCases<O> {
  readonly outcomes = new Map<string, O>();
  readonly statuses: { fill?: string; shape?: string; text?: string }[] = [];

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  protected constructor(readonly node: any) {
    node.on('call:status', (call: { args: [{ fill?: string; text?: string }] }) =>
      this.statuses.push(call.args[0]),
    );
  }

  /** Feeds a message in without waiting; returns its case id. */
  input(msg: Record<string, unknown>): string {
    const id = String(++caseCounter);
    this.node.receive({ ...msg, _case: id });
    return id;
  }

  /** Resolves with what became of a message fed in by `input`. */
  async outcome(id: string, timeoutMs = 8000): Promise<O> {
    await waitFor(() => this.outcomes.has(id), timeoutMs, `the outcome of message ${id}`);
    return this.outcomes.get(id) as O;
  }

  /** Records the outcome of the message of case `msg._case`. */
  protected record(msg: Record<string, unknown> | undefined, outcome: O): void {
    if (msg) this.outcomes.set(String(msg._case), outcome);
  }
}

/** Quiet mail-in defaults: manual polling, no poll on start. */
export function mailInProps(mailbox: string, props: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'o365-mail-in',
    username: mailbox,
    folder: 'inbox',
    filter: 'isRead eq false',
    search: '',
    action: 'read',
    moveTo: '',
    pollType: 'manual',
    cron: '0 */5 * * * ?',
    interval: 300,
    pollOnStart: false,
    maxMessages: 100,
    bodyFormat: 'text',
    attachments: true,
    output: 'message',
    ...props,
  };
}

/** Mail-action properties: the mailbox and mail from the message, markRead, get's options as mail in's defaults. */
export function mailActionProps(props: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'o365-mail-action',
    username: '',
    usernameType: 'str',
    operation: 'markRead',
    target: '',
    targetType: 'str',
    categoryMode: 'add',
    bodyFormat: 'text',
    attachments: true,
    output: 'message',
    ...props,
  };
}

/** Mail-out properties sending from `mailbox`, every other field empty (taken from the message). */
export function mailOutProps(mailbox: string, props: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'o365-mail-out',
    username: mailbox,
    usernameType: 'str',
    subject: '',
    subjectType: 'str',
    toRecipients: '',
    toRecipientsType: 'str',
    ccRecipients: '',
    ccRecipientsType: 'str',
    bccRecipients: '',
    bccRecipientsType: 'str',
    save: true,
    bodyType: 'auto',
    ...props,
  };
}

/**
 * Each test of the suite gets a Node-RED with a fresh user directory and a credentialSecret, so delegated sign-ins
 * are stored (in <userDir>/.o365-mail/sign-ins) apart from every other test's. Registers the mocha hooks; answers
 * the current directory.
 */
export function runtimeWithUserDir(name: string): () => string {
  let userDir = '';
  beforeEach(async () => {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), `o365-${name}-`));
    helper.settings({ userDir, credentialSecret: `${name}-credential-secret` });
    await helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
    helper.settings({});
    fs.rmSync(userDir, { recursive: true, force: true });
  });
  return () => userDir;
}
