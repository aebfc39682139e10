/**
 * Loads an o365-mail-out node (plus its account and a helper node on its output) into the real Node-RED runtime
 * against the simulator, and turns its outputs and `done(err)` errors into awaitable outcomes per message.
 */
import type { Simulator } from '../simulator';
import type { SentRecord } from '../simulator/types';
import {
  accountCredentials,
  accountNode,
  CONFIG_ID,
  helper,
  mailOutProps,
  MessageCases,
  nodeModules,
  nodeRedSuite,
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
    mode?: 'reply' | 'replyAll' | 'forward';
    savedToSentItems: boolean;
    attachments: number;
    internetMessageId?: string;
    warnings?: string[];
  };
}

export class MailOutHarness extends MessageCases<Outcome> {
  readonly warnings: string[] = [];

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
    helper.getNode('sink').on('input', (msg: Msg) => harness.record(msg, { kind: 'sent', msg }));
    harness.node.on('call:error', (call: { args: [unknown, Msg | undefined] }) => {
      const [err, msg] = call.args;
      const message = err instanceof Error ? err.message : String(err);
      if (msg) harness.record(msg, { kind: 'error', message, msg });
    });
    harness.node.on('call:warn', (call: { args: [unknown] }) => harness.warnings.push(String(call.args[0])));
    return harness;
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

/** A mail-out suite's simulator and what it recorded during the current test. */
export interface MailOutSuite {
  readonly sim: Simulator;
  /** Mails the simulator sent during the current test. */
  sentNow(): SentRecord[];
}

/**
 * The hooks every mail-out suite shares: one simulator (MAILBOX, COLLEAGUE) for the suite, a fresh Node-RED per test
 * with `settings` (RED.settings.o365) and the simulator's faults and load reset by `reset`; after each test the
 * simulator is left idle (Graph finishes a request whose client gave up: it must not land in the next test) and every
 * request and answer must have matched Graph's schemas.
 */
export function mailOutSuite(
  options: { o365?: Record<string, unknown>; reset?: (sim: Simulator) => void } = {},
): MailOutSuite {
  let sim: Simulator | undefined;
  let sentBefore = 0;
  nodeRedSuite(
    {
      simulator: { mailboxes: [MAILBOX, COLLEAGUE] },
      tuning: options.o365,
      reset: options.reset,
      checkSchemas: true,
    },
    (s) => (sim = s),
  );
  beforeEach(() => {
    sentBefore = current().sent.length;
  });
  const current = (): Simulator => {
    if (!sim) throw new Error('no simulator outside a test case');
    return sim;
  };
  return {
    get sim() {
      return current();
    },
    sentNow: () => current().sent.slice(sentBefore),
  };
}
