/**
 * The example flow "Process, then file" (examples/06) as a user imports it, run in the real Node-RED runtime against
 * the simulator: mail in (action none) hands each mail on once, a processed mail is moved to Inbox/Processed, and one
 * whose processing failed reaches the Catch node and is moved to Inbox/Failed.
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

describe('example "Process, then file" (integration)', function () {
  this.timeout(30_000);
  let sim: Simulator;
  const previousMailbox = process.env.O365_MAILBOX;

  before(async () => {
    process.env.O365_MAILBOX = MAILBOX;
    sim = await startSimulator({ mailboxes: [MAILBOX] });
  });
  after(async () => {
    if (previousMailbox === undefined) delete process.env.O365_MAILBOX;
    else process.env.O365_MAILBOX = previousMailbox;
    await sim?.stop();
  });
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  it('files a processed mail in Inbox/Processed and a failed one, through the Catch node, in Inbox/Failed', async () => {
    sim.addFolder(MAILBOX, 'inbox', 'Processed');
    sim.addFolder(MAILBOX, 'inbox', 'Failed');
    sim.addMessage(MAILBOX, 'inbox', { subject: 'Order 1234', from: 'buyer@fabrikam.example' });
    sim.addMessage(MAILBOX, 'inbox', { subject: 'Hello there', from: 'someone@fabrikam.example' });
    const flow = exampleFlow('06 - Process, then file.json', sim);
    const { config, mailIn, mailAction } = nodeModules();
    const account = flow.find((n) => n.type === 'o365-config') as FlowNode;
    await helper.load(
      [config, mailIn, mailAction, coreNodeModule('function/10-function'), catchModule()],
      flow,
      accountCredentials(sim, undefined, account.id),
    );
    const processed = sim.messages.bind(sim, MAILBOX, 'Inbox/Processed');
    const failed = sim.messages.bind(sim, MAILBOX, 'Inbox/Failed');
    await waitFor(() => processed().length === 1 && failed().length === 1, 15_000, 'both mails filed');
    assert.equal(processed()[0].subject, 'Order 1234');
    assert.equal(failed()[0].subject, 'Hello there');
    assert.equal(sim.messages(MAILBOX, 'inbox').length, 0);
    assert.equal(processed()[0].isRead, false, 'action none marks nothing');
    assert.deepEqual(sim.schemaViolations, []);
  });
});
