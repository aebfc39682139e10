/**
 * Example flows as a user imports them, run in the real Node-RED runtime against the simulator:
 * - "Process, then file" (examples/06): mail in (action none) hands each mail on once, a processed mail is moved to
 *   Inbox/Processed, and one whose processing failed reaches the Catch node and is moved to Inbox/Failed;
 * - "Auto-reply" (examples/03): every new mail is answered in its thread, automatic mail is not;
 * - "Answer in the thread" (examples/07): an order question gets a reply, anything else is forwarded.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startSimulator, type Simulator } from '../simulator';
import {
  accountCredentials,
  accountNode,
  catchModule,
  coreNodeModule,
  helper,
  nodeModules,
  waitFor,
} from './setup';

const MAILBOX = 'orders@contoso.example';
const FORWARD_TO = 'desk@contoso.example';
const CUSTOMER = 'customer@contoso.example';
const EXAMPLES = path.resolve(__dirname, '..', '..', 'examples');

type FlowNode = Record<string, unknown> & { id: string; type: string };

/** An example flow with its account pointed at the simulator, debug nodes replaced by helper nodes. */
function exampleFlow(file: string, sim: Simulator): FlowNode[] {
  const flow = JSON.parse(fs.readFileSync(path.join(EXAMPLES, file), 'utf8')) as FlowNode[];
  // Comment nodes only hold the instructions.
  return flow
    .filter((node) => node.type !== 'comment')
    .map((node) => {
      if (node.type === 'o365-config') return { ...accountNode(sim), id: node.id } as FlowNode;
      if (node.type === 'debug') return { id: node.id, z: node.z, type: 'helper', name: node.name };
      return node;
    });
}

/** Loads an example with the nodes it uses. */
async function loadExample(file: string, sim: Simulator): Promise<void> {
  const flow = exampleFlow(file, sim);
  const { config, mailIn, mailOut, mailAction } = nodeModules();
  const account = flow.find((n) => n.type === 'o365-config') as FlowNode;
  await helper.load(
    [config, mailIn, mailOut, mailAction, coreNodeModule('function/10-function'), catchModule()],
    flow,
    accountCredentials(sim, undefined, account.id),
  );
}

describe('example flows (integration)', function () {
  this.timeout(30_000);
  let sim: Simulator;
  const previous = { mailbox: process.env.O365_MAILBOX, forwardTo: process.env.O365_FORWARD_TO };

  before(async () => {
    process.env.O365_MAILBOX = MAILBOX;
    process.env.O365_FORWARD_TO = FORWARD_TO;
    sim = await startSimulator({ mailboxes: [MAILBOX, FORWARD_TO, CUSTOMER] });
  });
  after(async () => {
    for (const [name, value] of [
      ['O365_MAILBOX', previous.mailbox],
      ['O365_FORWARD_TO', previous.forwardTo],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await sim?.stop();
  });
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  it('Process, then file: a processed mail goes to Inbox/Processed, a failed one through the Catch node to Inbox/Failed', async () => {
    sim.addFolder(MAILBOX, 'inbox', 'Processed');
    sim.addFolder(MAILBOX, 'inbox', 'Failed');
    sim.addMessage(MAILBOX, 'inbox', { subject: 'Order 1234', from: 'buyer@fabrikam.example' });
    sim.addMessage(MAILBOX, 'inbox', { subject: 'Hello there', from: 'someone@fabrikam.example' });
    await loadExample('06 - Process, then file.json', sim);
    const processed = sim.messages.bind(sim, MAILBOX, 'Inbox/Processed');
    const failed = sim.messages.bind(sim, MAILBOX, 'Inbox/Failed');
    await waitFor(() => processed().length === 1 && failed().length === 1, 15_000, 'both mails filed');
    assert.equal(processed()[0].subject, 'Order 1234');
    assert.equal(failed()[0].subject, 'Hello there');
    assert.equal(sim.messages(MAILBOX, 'inbox').length, 0);
    assert.equal(processed()[0].isRead, false, 'action none marks nothing');
    assert.deepEqual(sim.schemaViolations, []);
  });

  it('Auto-reply answers each new mail in its thread, and not an automatic one', async () => {
    const original = sim.addMessage(MAILBOX, 'inbox', { subject: 'Question', from: CUSTOMER, to: [MAILBOX] });
    sim.addMessage(MAILBOX, 'inbox', {
      subject: 'Out of office',
      from: CUSTOMER,
      to: [MAILBOX],
      headers: { 'Auto-Submitted': 'auto-replied' },
    });
    await loadExample('03 - Auto-reply.json', sim);
    await waitFor(() => sim.messages(CUSTOMER, 'inbox').length >= 1, 15_000, 'the answer');
    await new Promise((r) => setTimeout(r, 300));
    const answers = sim.messages(CUSTOMER, 'inbox');
    assert.deepEqual(
      answers.map((m) => m.subject),
      ['RE: Question'],
    );
    const thread = sim.getMessage(MAILBOX, original)?.conversationId;
    assert.equal(answers[0].conversationId, thread, 'in the same conversation');
    assert.match(answers[0].body.content, /thank you for your mail/);
    assert.deepEqual(sim.schemaViolations, []);
  });

  it('Answer in the thread replies to an order question and forwards anything else', async () => {
    sim.addMessage(MAILBOX, 'inbox', { subject: 'Order 77 status?', from: CUSTOMER, to: [MAILBOX] });
    sim.addMessage(MAILBOX, 'inbox', { subject: 'Invoice dispute', from: CUSTOMER, to: [MAILBOX] });
    const before = sim.messages(CUSTOMER, 'inbox').length;
    await loadExample('07 - Answer in the thread.json', sim);
    await waitFor(
      () => sim.messages(CUSTOMER, 'inbox').length > before && sim.messages(FORWARD_TO, 'inbox').length === 1,
      15_000,
      'the reply and the forward',
    );
    const reply = sim.messages(CUSTOMER, 'inbox').find((m) => m.subject === 'RE: Order 77 status?');
    assert.match(String(reply?.body.content), /your order 77 left our warehouse/);
    assert.equal(sim.messages(FORWARD_TO, 'inbox')[0].subject, 'FW: Invoice dispute');
    assert.deepEqual(sim.schemaViolations, []);
  });
});
