/**
 * Loads o365-mail-in nodes (plus their account and a helper node on each output) into the real Node-RED runtime
 * against the simulator, records what they send, log and show, and runs polls to their end.
 */
import type { Simulator } from '../simulator';
import {
  accountCredentials,
  accountNode,
  CONFIG_ID,
  helper,
  mailInProps,
  nodeModules,
  waitFor,
} from './setup';

export const MAILBOX = 'user@contoso.example';

export type Msg = Record<string, unknown> & {
  payload: unknown;
  topic: string;
  o365: { id: string; internetMessageId: string; warnings?: string[] } & Record<string, unknown>;
};

export interface Status {
  fill?: string;
  shape?: string;
  text?: string;
}

/** One loaded mail-in node and what it did. */
export class MailInNode {
  readonly messages: Msg[] = [];
  readonly errors: { message: string; msg?: Record<string, unknown> }[] = [];
  readonly warnings: string[] = [];
  readonly statuses: Status[] = [];

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  constructor(readonly node: any) {
    node.on('call:error', (call: { args: [unknown, Record<string, unknown> | undefined] }) => {
      const [err, msg] = call.args;
      this.errors.push({ message: err instanceof Error ? err.message : String(err), msg });
    });
    node.on('call:warn', (call: { args: [unknown] }) => this.warnings.push(String(call.args[0])));
    node.on('call:status', (call: { args: [Status] }) => this.statuses.push(call.args[0]));
  }

  /** Polls that ended: a blue "polling" followed by what it delivered (green or yellow dot) or a red reason. */
  get pollsEnded(): number {
    let ended = 0;
    let polling = false;
    for (const s of this.statuses) {
      if (s.fill === 'blue') polling = true;
      else if (polling && (s.shape === 'dot' || s.fill === 'red')) {
        ended++;
        polling = false;
      }
    }
    return ended;
  }

  get lastStatus(): Status | undefined {
    return this.statuses[this.statuses.length - 1];
  }

  /** Sends an input message (a poll trigger) without waiting. */
  trigger(): void {
    this.node.receive({ payload: 'poll' });
  }

  /** Triggers a poll and waits until it ended. */
  async poll(timeoutMs = 15_000): Promise<void> {
    const before = this.pollsEnded;
    this.trigger();
    await this.pollEnded(before, timeoutMs);
  }

  /** Waits until more than `before` polls ended. */
  async pollEnded(before: number, timeoutMs = 15_000): Promise<void> {
    await waitFor(() => this.pollsEnded > before, timeoutMs, 'the end of a poll');
  }
}

let flowCounter = 0;

/** What else a test sets: account properties, and a look at the RED object the nodes register with. */
export interface LoadOptions {
  account?: Record<string, unknown>;
  onRegister?: (RED: { httpNode?: unknown }) => void;
}

/** Loads `count` mail-in nodes with these properties over quiet defaults (manual polling, no poll on start). */
export async function loadMailIn(
  sim: Simulator,
  props: Record<string, unknown> = {},
  count = 1,
  options: LoadOptions = {},
): Promise<MailInNode[]> {
  const { config, mailIn } = nodeModules();
  const tab = `tab${++flowCounter}`;
  const flow: Record<string, unknown>[] = [
    { id: tab, type: 'tab', label: 'mail in' },
    accountNode(sim, options.account),
  ];
  for (let i = 0; i < count; i++) {
    flow.push({
      id: `in${i}`,
      z: tab,
      name: '',
      account: CONFIG_ID,
      wires: [[`sink${i}`]],
      ...mailInProps(MAILBOX, props),
    });
    flow.push({ id: `sink${i}`, z: tab, type: 'helper' });
  }
  const registerMailIn = (RED: { httpNode?: unknown }) => {
    options.onRegister?.(RED);
    return mailIn(RED);
  };
  await helper.load([config, options.onRegister ? registerMailIn : mailIn], flow, accountCredentials(sim));
  const nodes: MailInNode[] = [];
  for (let i = 0; i < count; i++) {
    const node = new MailInNode(helper.getNode(`in${i}`));
    helper.getNode(`sink${i}`).on('input', (msg: Msg) => node.messages.push(msg));
    nodes.push(node);
  }
  return nodes;
}

/** Loads one mail-in node. */
export async function loadOne(sim: Simulator, props: Record<string, unknown> = {}): Promise<MailInNode> {
  const [node] = await loadMailIn(sim, props, 1);
  return node;
}

/** Polls until a poll delivers nothing new (at most `maxPolls`). */
export async function pollUntilQuiet(node: MailInNode, maxPolls = 50): Promise<void> {
  for (let i = 0; i < maxPolls; i++) {
    const before = node.messages.length;
    await node.poll();
    if (node.messages.length === before) return;
  }
  throw new Error(`still delivering after ${maxPolls} polls`);
}
