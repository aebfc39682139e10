/**
 * Loads an o365-mail-action node (its account, a helper node on its output and a Catch node that sees its errors)
 * into the real Node-RED runtime against the simulator, and turns outputs and caught errors into awaitable outcomes.
 */
import type { Simulator } from '../simulator';
import {
  accountCredentials,
  accountNode,
  catchModule,
  CONFIG_ID,
  helper,
  mailActionProps,
  nodeModules,
  waitFor,
} from './setup';

export const MAILBOX = 'desk@contoso.example';

export type Msg = Record<string, unknown> & { o365?: Record<string, unknown> };

/** What became of one input message: its output, or the error a Catch node received (with the message). */
export type ActionOutcome =
  { kind: 'output'; msg: Msg } | { kind: 'error'; message: string; code?: string; msg: Msg };

let counter = 0;

export class MailActionHarness {
  readonly outcomes = new Map<string, ActionOutcome>();
  readonly statuses: { fill?: string; shape?: string; text?: string }[] = [];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private constructor(readonly node: any) {}

  /** Loads the node with these properties (over mailActionProps' defaults). */
  static async load(sim: Simulator, props: Record<string, unknown> = {}): Promise<MailActionHarness> {
    const { config, mailAction } = nodeModules();
    const catchNode = catchModule();
    const flow = [
      { id: 'tab', type: 'tab', label: 'mail action' },
      accountNode(sim),
      { id: 'act', z: 'tab', name: '', account: CONFIG_ID, wires: [['sink']], ...mailActionProps(props) },
      { id: 'sink', z: 'tab', type: 'helper' },
      // x and y make it a flow node, as the editor saves it (without, Node-RED takes a catch for a config node).
      {
        id: 'catch',
        z: 'tab',
        type: 'catch',
        scope: ['act'],
        uncaught: false,
        wires: [['caught']],
        x: 0,
        y: 0,
      },
      { id: 'caught', z: 'tab', type: 'helper' },
    ];
    await helper.load([config, mailAction, catchNode], flow, accountCredentials(sim));
    const harness = new MailActionHarness(helper.getNode('act'));
    helper
      .getNode('sink')
      .on('input', (msg: Msg) => harness.outcomes.set(String(msg._case), { kind: 'output', msg }));
    helper.getNode('caught').on('input', (msg: Msg & { error?: { message?: string; code?: string } }) => {
      harness.outcomes.set(String(msg._case), {
        kind: 'error',
        message: String(msg.error?.message ?? ''),
        code: msg.error?.code,
        msg,
      });
    });
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
  async outcome(id: string, timeoutMs = 8000): Promise<ActionOutcome> {
    await waitFor(() => this.outcomes.has(id), timeoutMs, `the outcome of message ${id}`);
    return this.outcomes.get(id) as ActionOutcome;
  }

  /** Feeds a message in and expects an output; returns it. */
  async output(msg: Msg, timeoutMs?: number): Promise<Msg> {
    const outcome = await this.outcome(this.input(msg), timeoutMs);
    if (outcome.kind !== 'output') throw new Error(`expected an output, got error: ${outcome.message}`);
    return outcome.msg;
  }

  /** Feeds a message in and expects a caught error; returns it. */
  async fails(msg: Msg, timeoutMs?: number): Promise<Extract<ActionOutcome, { kind: 'error' }>> {
    const outcome = await this.outcome(this.input(msg), timeoutMs);
    if (outcome.kind !== 'error') throw new Error('expected an error, but the node sent an output');
    return outcome;
  }
}
