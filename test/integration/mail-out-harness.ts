/**
 * Loads an o365-mail-out node (plus its account and a helper node on its output) into the real Node-RED runtime
 * against the simulator, and turns its outputs and `done(err)` errors into awaitable outcomes per message.
 */
import type { Simulator } from '../simulator';
import {
  accountCredentials,
  accountNode,
  CONFIG_ID,
  helper,
  mailOutProps,
  nodeModules,
  waitFor,
} from './setup';

export const MAILBOX = 'sender@contoso.example';
export const COLLEAGUE = 'colleague@contoso.example';

export type Msg = Record<string, unknown>;

export type Outcome = { kind: 'sent'; msg: Msg } | { kind: 'error'; message: string; msg: Msg };

/** The mail-out node's output message and the o365 fields it gained. */
export interface SentMsg extends Msg {
  o365: {
    mailbox: string;
    sent: true;
    path: 'sendMail' | 'draft';
    savedToSentItems: boolean;
    attachments: number;
    internetMessageId?: string;
    warnings?: string[];
  };
}

let counter = 0;

export class MailOutHarness {
  readonly outcomes = new Map<string, Outcome>();
  readonly statuses: { fill?: string; shape?: string; text?: string }[] = [];
  readonly warnings: string[] = [];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private constructor(readonly node: any) {}

  /** Loads the node with these properties (merged over defaults: username MAILBOX, every field empty). */
  static async load(
    sim: Simulator,
    props: Record<string, unknown> = {},
    credentials?: Record<string, string>,
  ): Promise<MailOutHarness> {
    const { config, mailOut } = nodeModules();
    const flow = [
      { id: 'tab', type: 'tab', label: 'mail out' },
      accountNode(sim),
      {
        id: 'out',
        z: 'tab',
        name: '',
        account: CONFIG_ID,
        wires: [['sink']],
        ...mailOutProps(MAILBOX, props),
      },
      { id: 'sink', z: 'tab', type: 'helper' },
    ];
    await helper.load([config, mailOut], flow, accountCredentials(sim, credentials));
    const harness = new MailOutHarness(helper.getNode('out'));
    const sink = helper.getNode('sink');
    sink.on('input', (msg: Msg) => harness.outcomes.set(String(msg._case), { kind: 'sent', msg }));
    harness.node.on('call:error', (call: { args: [unknown, Msg | undefined] }) => {
      const [err, msg] = call.args;
      const message = err instanceof Error ? err.message : String(err);
      if (msg) harness.outcomes.set(String(msg._case), { kind: 'error', message, msg });
    });
    harness.node.on('call:warn', (call: { args: [unknown] }) => harness.warnings.push(String(call.args[0])));
    harness.node.on('call:status', (call: { args: [{ fill?: string; text?: string }] }) =>
      harness.statuses.push(call.args[0]),
    );
    return harness;
  }

  /** Feeds a message in without waiting; returns its case id. */
  input(msg: Msg): string {
    const id = String(++counter);
    this.node.receive({ ...msg, _case: id });
    return id;
  }

  /** Resolves with what became of a message fed in by `input`. */
  async outcome(id: string, timeoutMs = 8000): Promise<Outcome> {
    await waitFor(() => this.outcomes.has(id), timeoutMs, `the outcome of message ${id}`);
    return this.outcomes.get(id) as Outcome;
  }

  /** Feeds a message in and waits for its outcome. */
  async run(msg: Msg, timeoutMs?: number): Promise<Outcome> {
    return this.outcome(this.input(msg), timeoutMs);
  }

  /** Feeds a message in and expects it sent; returns the output message. */
  async sent(msg: Msg, timeoutMs?: number): Promise<SentMsg> {
    const outcome = await this.run(msg, timeoutMs);
    if (outcome.kind !== 'sent')
      throw new Error(`expected the mail to be sent, got error: ${outcome.message}`);
    return outcome.msg as SentMsg;
  }

  /** Feeds a message in and expects an error; returns its message. */
  async fails(msg: Msg, timeoutMs?: number): Promise<string> {
    const outcome = await this.run(msg, timeoutMs);
    if (outcome.kind !== 'error') throw new Error('expected an error, but the mail was sent');
    return outcome.message;
  }
}
