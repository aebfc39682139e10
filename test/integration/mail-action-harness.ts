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
  MessageCases,
  nodeModules,
} from './setup';

export const MAILBOX = 'desk@contoso.example';

export type Msg = Record<string, unknown> & { o365?: Record<string, unknown> };

/** What became of one input message: its output, or the error a Catch node received (with the message). */
export type ActionOutcome =
  { kind: 'output'; msg: Msg } | { kind: 'error'; message: string; code?: string; msg: Msg };

export class MailActionHarness extends MessageCases<ActionOutcome> {
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
    helper.getNode('sink').on('input', (msg: Msg) => harness.record(msg, { kind: 'output', msg }));
    helper.getNode('caught').on('input', (msg: Msg & { error?: { message?: string; code?: string } }) => {
      harness.record(msg, {
        kind: 'error',
        message: String(msg.error?.message ?? ''),
        code: msg.error?.code,
        msg,
      });
    });
    return harness;
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
