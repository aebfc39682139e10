/**
 * o365-config in the real Node-RED runtime: every node using one config node shares its token cache, and an account
 * problem shows as a short red reason on every node that uses it.
 */
import { strict as assert } from 'node:assert';
import type { Simulator } from '../simulator';
import {
  accountCredentials,
  accountNode,
  CONFIG_ID,
  helper,
  mailInProps,
  mailOutProps,
  nodeModules,
  nodeRedSuite,
  recordStatuses,
  waitFor,
} from './setup';

const MAILBOX = 'user@contoso.example';

describe('o365-config in Node-RED', function () {
  this.timeout(30_000);
  let sim: Simulator;

  nodeRedSuite({ simulator: { mailboxes: [MAILBOX] }, checkSchemas: true }, (s) => (sim = s));

  function flow(account: Record<string, unknown>) {
    const mailIn = (id: string) => ({
      id,
      z: 't',
      account: CONFIG_ID,
      wires: [['sink']],
      ...mailInProps(MAILBOX),
    });
    return [
      { id: 't', type: 'tab', label: 'config' },
      account,
      mailIn('in1'),
      mailIn('in2'),
      {
        id: 'out',
        z: 't',
        account: CONFIG_ID,
        wires: [['sink']],
        ...mailOutProps(MAILBOX, { subject: 'hello', toRecipients: MAILBOX }),
      },
      { id: 'sink', z: 't', type: 'helper' },
    ];
  }

  it('makes one token request for all the polls and sends of several nodes sharing it', async () => {
    const { config, mailIn, mailOut } = nodeModules();
    await helper.load([config, mailIn, mailOut], flow(accountNode(sim)), accountCredentials(sim));
    const received: unknown[] = [];
    const sink = helper.getNode('sink');
    sink.on('input', (msg: unknown) => received.push(msg));
    sim.seedMessages(MAILBOX, 'inbox', 30);
    for (let round = 0; round < 5; round++) {
      helper.getNode('in1').receive({});
      helper.getNode('in2').receive({});
      helper.getNode('out').receive({ payload: `mail ${round}` });
    }
    // 30 seeded mails + 5 sent ones (which land in the same inbox) may arrive at either mail-in node.
    await waitFor(() => received.length >= 35, 20_000, 'every mail and every send');
    helper.getNode('in1').receive({});
    await waitFor(() => received.length >= 40, 20_000, 'the sent mails to be received');
    await waitFor(
      () => sim.messages(MAILBOX, 'inbox').every((m) => m.isRead),
      20_000,
      'every mail marked read',
    );
    assert.ok(sim.counters.operations >= 40, `operations: ${sim.counters.operations}`);
    assert.equal(sim.counters.tokenRequests, 1);
    assert.equal(sim.counters.discoveryRequests, 0);
  });

  it('shows a wrong secret on every node that uses the account', async () => {
    const { config, mailIn, mailOut } = nodeModules();
    await helper.load(
      [config, mailIn, mailOut],
      flow(accountNode(sim)),
      accountCredentials(sim, { clientSecret: 'nope' }),
    );
    const statuses = recordStatuses(['in1', 'in2', 'out']);
    helper.getNode('in1').receive({});
    const reasonShown = (id: string) =>
      statuses[id].some((s) => s.fill === 'red' && /secret/i.test(s.text ?? ''));
    await waitFor(
      () => ['in1', 'in2', 'out'].every(reasonShown),
      10_000,
      'a red "secret" status on every node',
    );
  });

  it('shows an account that cannot work at all on every node, without calling Graph', async () => {
    const { config, mailIn, mailOut } = nodeModules();
    await helper.load(
      [config, mailIn, mailOut],
      flow(accountNode(sim, { tenantId: '' })),
      accountCredentials(sim),
    );
    const statuses = recordStatuses(['in1', 'in2', 'out']);
    helper.getNode('in1').receive({});
    helper.getNode('out').receive({ payload: 'x' });
    await waitFor(
      () => ['in1', 'in2', 'out'].every((id) => statuses[id].some((s) => s.fill === 'red')),
      10_000,
      'a red status on every node',
    );
    assert.equal(sim.counters.tokenRequests, 0);
    assert.equal(sim.counters.graphRequests, 0);
  });
});
