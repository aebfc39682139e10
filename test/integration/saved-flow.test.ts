/**
 * A flow saved by release 0.1.0 (test/fixtures/flows/release-0.1.0.json) in the real Node-RED runtime: every node
 * starts and does what that release did with it, including what it read from empty or missing properties; a node
 * saved by a newer release does not start and says why.
 */
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { startSimulator, Simulator } from '../simulator';
import { helper, nodeModules, recordStatuses, waitFor } from './setup';

type SavedNode = Record<string, unknown> & { id: string; type: string };
const EXAMPLES_MAILBOX = 'examples@contoso.example';
/** Each mail-in node of the fixture polls a mailbox of its own here, so the nodes cannot take each other's mail. */
const MAILBOX_OF: Record<string, string> = {
  '0365f10100000003': 'fresh@contoso.example',
  '0365f10100000004': 'hand@contoso.example',
  '0365f10100000005': 'text@contoso.example',
};
const SENDER = 'orders@contoso.com';

function fixture(): SavedNode[] {
  const file = path.join(__dirname, '..', 'fixtures', 'flows', 'release-0.1.0.json');
  return JSON.parse(fs.readFileSync(file, 'utf8')) as SavedNode[];
}

describe('a flow saved by release 0.1.0, in Node-RED', function () {
  this.timeout(30_000);
  let sim: Simulator;
  const saved: Record<string, string | undefined> = {};

  before(async () => {
    sim = await startSimulator({ mailboxes: [EXAMPLES_MAILBOX, SENDER, ...Object.values(MAILBOX_OF)] });
    for (const name of ['O365_TENANT_ID', 'O365_CLIENT_ID', 'O365_MAILBOX']) saved[name] = process.env[name];
    process.env.O365_TENANT_ID = sim.tenantId;
    process.env.O365_CLIENT_ID = sim.app.clientId;
    process.env.O365_MAILBOX = EXAMPLES_MAILBOX;
  });
  after(async () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await sim.stop();
  });
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
    assert.deepEqual(sim.schemaViolations, []);
  });

  /** The fixture with its accounts pointed at the simulator, each mail in at its own mailbox, outputs recorded. */
  function loadable(nodes: SavedNode[]): { flow: SavedNode[]; credentials: Record<string, object> } {
    const credentials: Record<string, object> = {};
    const flow = nodes.map((node) => {
      if (node.type === 'o365-config') {
        credentials[node.id] = { clientSecret: sim.app.secrets?.[0]?.value ?? '' };
        return { ...node, cloud: 'custom', authorityHost: sim.url, graphEndpoint: sim.url };
      }
      const copy: SavedNode = { ...node };
      if (MAILBOX_OF[node.id]) copy.username = MAILBOX_OF[node.id];
      if (Array.isArray(node.wires)) copy.wires = [['sink']];
      return copy;
    });
    flow.push({ id: 'sink', type: 'helper', z: '0365f10100000000' });
    return { flow, credentials };
  }

  it('starts every node, polls and sends as release 0.1.0 did', async () => {
    const delivered = sim.addMessage(EXAMPLES_MAILBOX, 'inbox', { subject: 'for example 01' });
    const doneFolder = sim.addFolder(MAILBOX_OF['0365f10100000004'], 'inbox', 'Done');
    sim.addMessage(MAILBOX_OF['0365f10100000004'], 'inbox', { subject: 'to move' });
    const untouched = sim.addMessage(MAILBOX_OF['0365f10100000005'], 'inbox', {
      subject: 'not polled at start',
    });
    const { flow, credentials } = loadable(fixture());
    const { config, mailIn, mailOut } = nodeModules();
    await helper.load([config, mailIn, mailOut], flow, credentials);
    const nodes = flow.filter((node) => node.type === 'o365-mail-in' || node.type === 'o365-mail-out');
    const statuses = recordStatuses(nodes.map((node) => node.id));

    // Example 01 polls at start and marks the mail read; a node that saved nothing but its mailbox and `move`
    // polls at start (0.1.0's default) and moves the mail to Inbox/Done.
    await waitFor(
      () => sim.getMessage(EXAMPLES_MAILBOX, delivered)?.isRead === true,
      10_000,
      'example 01 polling',
    );
    // A moved mail gets a new id in Exchange: look for it by subject.
    const moved = () => sim.messages(MAILBOX_OF['0365f10100000004']).find((m) => m.subject === 'to move');
    await waitFor(
      () => moved()?.parentFolderId === doneFolder,
      10_000,
      'the hand-written node moving its mail',
    );
    // "Old fields" mail out: literal fields (saved before their types existed) and save "false".
    const sender = helper.getNode('0365f10100000008');
    const answered = new Promise<Record<string, unknown>>((resolve) =>
      helper.getNode('sink').on('input', (msg: Record<string, unknown>) => resolve(msg)),
    );
    sender.receive({ payload: 'the report' });
    const sent = await answered;
    assert.equal((sent.o365 as { sent?: boolean }).sent, true);
    const record = sim.sent.find((r) => r.message.subject === 'Report');
    assert.ok(record, 'no mail with the subject "Report" was sent');
    assert.equal(record.saveToSentItems, false);
    assert.deepEqual(
      record.message.toRecipients.map((r) => r.emailAddress.address),
      ['team@contoso.com', 'boss@contoso.com'],
    );
    // pollOnStart "" meant "do not poll at start" in 0.1.0 (today's readers would take the default, true): the node
    // waits for its first scheduled time, never polling.
    const textNode = statuses['0365f10100000005'];
    await waitFor(() => textNode.length > 0, 5000, 'the status of the node with flags as text');
    assert.deepEqual(
      textNode.filter((s) => s.fill === 'blue'),
      [],
      'the node with pollOnStart "" polled at start',
    );
    assert.match(textNode[0].text ?? '', /next poll/);
    assert.equal(sim.getMessage(MAILBOX_OF['0365f10100000005'], untouched)?.isRead, false);
    const red = Object.entries(statuses).filter(([, list]) => list.some((s) => s.fill === 'red'));
    assert.deepEqual(red, [], 'a node of the saved flow showed a red status');
  });

  it('does not start a node saved by a newer release, and says to update the package', async () => {
    const nodes: SavedNode[] = fixture()
      .filter((node) => ['0365c0f1900a0001', '0365f10100000001', '0365f10100000006'].includes(node.id))
      .map((node) => (node.type === 'o365-config' ? node : { ...node, version: 99 }));
    const { flow, credentials } = loadable([{ id: '0365f10100000000', type: 'tab' }, ...nodes]);
    const { config, mailIn, mailOut } = nodeModules();
    await helper.load([config, mailIn, mailOut], flow, credentials);
    for (const id of ['0365f10100000001', '0365f10100000006']) {
      const node = helper.getNode(id);
      const failure = await new Promise<unknown>((resolve) => {
        node.on('call:error', (call: { args: [unknown] }) => resolve(call.args[0]));
        node.receive({ payload: 'poll or send now' });
      });
      assert.match(
        String(failure),
        new RegExp(`${node.type} was saved as version 99 by a newer release .*update the package`),
      );
    }
  });
});
