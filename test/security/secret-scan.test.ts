/**
 * Secret scan: flows that run every error path (wrong secret, expired secret, unregistered certificate, unreadable
 * key, access policy, missing permission, throttling, sign-in outage, unknown send outcome) with distinctive
 * credentials, plus the Test connection endpoint. Node-RED's log, the flow configuration, every status, error, Catch
 * message and output must hold no client secret, no private key and no token (no JWT at all).
 */
import { strict as assert } from 'node:assert';
import { generate } from 'selfsigned';
import { DEFAULT_APP, startSimulator, type Simulator } from '../simulator';
import { MailInNode } from '../integration/mail-in-harness';
import {
  CONFIG_ID,
  FlowRecord,
  helper,
  loadFlow,
  mailInProps,
  mailOutProps,
  resetTuning,
  safeJson,
  useTuning,
  waitFor,
} from '../reliability/support';

const MAILBOX = 'user@contoso.example';
const DENIED = 'denied@contoso.example';
const COLLEAGUE = 'colleague@contoso.example';
const SECRET = 'S3cr3t~Distinctive.Value_7f1c9a0b2e';
const EXPIRED_SECRET = 'Exp1red~Distinctive.Value_41d2c8e7aa';
const WRONG_SECRET = 'Wr0ng~Distinctive.Value_9b3e55d0c1';
const JWT = /eyJ[\w-]+\.[\w-]+\.[\w-]*/;

interface Pems {
  key: string;
  cert: string;
}

/** Pieces of a PEM body long enough to be unmistakable. */
function keyPieces(pem: string): string[] {
  const body = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  return [body.slice(20, 60), body.slice(400, 440), body.slice(-80, -40)];
}

describe('security: no secret in logs, flows, statuses, errors or messages', function () {
  this.timeout(60_000);
  let sim: Simulator;
  let registered: Pems;
  let unregistered: Pems;
  const forbidden: string[] = [SECRET, EXPIRED_SECRET, WRONG_SECRET];
  const scanned: string[] = [];

  before(async function () {
    const a = await generate([{ name: 'commonName', value: 'scan-registered' }], {
      keySize: 2048,
      algorithm: 'sha256',
    });
    const b = await generate([{ name: 'commonName', value: 'scan-other' }], {
      keySize: 2048,
      algorithm: 'sha256',
    });
    registered = { key: a.private, cert: a.cert };
    unregistered = { key: b.private, cert: b.cert };
    forbidden.push(...keyPieces(registered.key), ...keyPieces(unregistered.key));
    sim = await startSimulator({
      mailboxes: [MAILBOX, DENIED, COLLEAGUE],
      apps: [
        {
          clientId: DEFAULT_APP.clientId,
          secrets: [{ value: SECRET }, { value: EXPIRED_SECRET, expired: true }],
          certificates: [registered.cert],
          roles: ['Mail.ReadWrite', 'Mail.Send'],
          deniedMailboxes: [DENIED],
        },
      ],
    });
    useTuning();
  });
  after(async () => {
    resetTuning();
    await sim?.stop();
  });
  beforeEach(async () => {
    sim.clearFaults();
    sim.setRoles(DEFAULT_APP.clientId, ['Mail.ReadWrite', 'Mail.Send']);
    sim.seedMessages(MAILBOX, 'inbox', 2);
    await helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  /** Fails naming where a secret, a key piece or a token appears. */
  function assertClean(what: string, text: string): void {
    scanned.push(text);
    for (const secret of forbidden)
      assert.ok(!text.includes(secret), `${what} contains a secret or key piece`);
    assert.doesNotMatch(text, JWT, `${what} contains a token`);
    assert.doesNotMatch(text, /Bearer\s+\S{20,}/, `${what} contains an Authorization header`);
    assert.doesNotMatch(text, /client_secret=|client_assertion=/, `${what} contains a token request`);
  }

  /** The flow configuration as Node-RED would save it. */
  function flowText(): string {
    const nodes = (helper as unknown as { _redNodes: { getFlows(): unknown } })._redNodes;
    return safeJson(nodes.getFlows());
  }

  /** Loads a mail in and a mail out node on one account, polls once, sends once, and scans what they did. */
  async function runErrorPath(
    what: string,
    options: { credentials: Record<string, string>; account?: Record<string, unknown>; mailbox?: string },
    during?: () => void,
  ): Promise<FlowRecord> {
    const mailbox = options.mailbox ?? MAILBOX;
    const record = await loadFlow(
      sim,
      [
        { id: 'in0', ...mailInProps(mailbox) },
        { id: 'out', ...mailOutProps(mailbox) },
      ],
      { credentials: options.credentials, account: options.account },
    );
    during?.();
    const mailIn = new MailInNode(helper.getNode('in0'));
    // A node whose account cannot work answers the trigger with an error instead of polling.
    const caughtBefore = record.caught.length;
    mailIn.trigger();
    await waitFor(
      () => mailIn.pollsEnded > 0 || record.caught.length > caughtBefore,
      15_000,
      'the end of the poll',
    );
    const before = record.outputs.length + record.caught.length;
    helper.getNode('out').receive({ to: COLLEAGUE, topic: 'scan', payload: 'x' });
    await waitFor(() => record.outputs.length + record.caught.length > before, 15_000, 'the send outcome');
    assertClean(`${what}: statuses, outputs, errors, log`, record.everything() + safeJson(mailIn.messages));
    assertClean(`${what}: flow configuration`, flowText());
    return record;
  }

  it('wrong secret', async () => {
    const record = await runErrorPath('wrong secret', { credentials: { clientSecret: WRONG_SECRET } });
    assert.ok(
      record.caught.some((c) => /client secret is wrong/.test(c.message)),
      'the error explains it',
    );
  });

  it('expired secret', async () => {
    const record = await runErrorPath('expired secret', { credentials: { clientSecret: EXPIRED_SECRET } });
    assert.ok(record.caught.some((c) => /expired/.test(c.message)));
  });

  it('certificate that works, then an unknown send outcome', async () => {
    const record = await runErrorPath(
      'certificate, dropped send',
      {
        credentials: { privateKey: registered.key, certificate: registered.cert },
        account: { authType: 'certificate' },
      },
      // Dropped before Graph took it: not in Sent Items, so "may or may not" (after it, Sent Items shows it sent).
      () => sim.dropNext(1, { after: false, match: { operation: 'sendMail' } }),
    );
    assert.ok(record.caught.some((c) => /may or may not have been sent/.test(c.message)));
  });

  it('certificate the app does not know', async () => {
    const record = await runErrorPath('unregistered certificate', {
      credentials: { privateKey: unregistered.key, certificate: unregistered.cert },
      account: { authType: 'certificate' },
    });
    assert.ok(record.caught.some((c) => /certificate was rejected/.test(c.message)));
  });

  it('private key that cannot be read', async () => {
    const broken = registered.key.replace(/[A-Za-z]{8}/, '!!!!!!!!');
    forbidden.push(...keyPieces(broken));
    const record = await runErrorPath('unreadable key', {
      credentials: { privateKey: broken, certificate: registered.cert },
      account: { authType: 'certificate' },
    });
    assert.ok(record.caught.some((c) => /private key/.test(c.message)));
  });

  it('application access policy', async () => {
    const record = await runErrorPath('access policy', {
      credentials: { clientSecret: SECRET },
      mailbox: DENIED,
    });
    assert.ok(record.caught.some((c) => /access policy/.test(c.message)));
  });

  it('missing permission (403)', async () => {
    const record = await runErrorPath('no permission', { credentials: { clientSecret: SECRET } }, () =>
      sim.setRoles(DEFAULT_APP.clientId, []),
    );
    assert.ok(record.caught.some((c) => /lacks Mail\.Send/.test(c.message)));
  });

  it('throttling beyond the retries, and a sign-in outage', async () => {
    await runErrorPath('throttling', { credentials: { clientSecret: SECRET } }, () => {
      sim.throttleNext(40, { retryAfter: 0 });
    });
    await helper.unload();
    await runErrorPath('sign-in outage', { credentials: { clientSecret: SECRET } }, () => {
      sim.expireTokens();
      sim.setTokenOutage(true);
    });
  });

  it('Test connection answers and errors carry no secret', async () => {
    // A deployed account holding the secret, so "unchanged" password fields use the stored one.
    await loadFlow(sim, [], { credentials: { clientSecret: SECRET } });
    const base = {
      id: CONFIG_ID,
      tenantId: sim.tenantId,
      applicationId: sim.app.clientId,
      cloud: 'custom',
      authorityHost: sim.url,
      graphEndpoint: sim.url,
      mailbox: MAILBOX,
    };
    const bodies: (typeof base & { authType: string; credentials: Record<string, string> })[] = [
      { ...base, authType: 'secret', credentials: { clientSecret: '__PWRD__' } },
      { ...base, authType: 'secret', credentials: { clientSecret: WRONG_SECRET } },
      { ...base, authType: 'secret', credentials: { clientSecret: EXPIRED_SECRET } },
      { ...base, authType: 'secret', credentials: { clientSecret: SECRET }, mailbox: DENIED },
      {
        ...base,
        authType: 'certificate',
        credentials: { privateKey: registered.key, certificate: registered.cert },
      },
      { ...base, authType: 'certificate', credentials: { privateKey: unregistered.key } },
      { ...base, authType: 'certificate', credentials: { privateKey: `${registered.key}garbage${SECRET}` } },
      {
        ...base,
        authType: 'secret',
        authorityHost: `http://${SECRET}.example`,
        credentials: { clientSecret: SECRET },
      },
    ];
    for (const body of bodies) {
      const res = await helper.request().post('/o365-config/test').send(body);
      assert.ok([200, 400].includes(res.status), `status ${res.status}`);
      assertClean(`Test connection (${body.authType}, ${Object.keys(body.credentials).join()})`, res.text);
    }
    assertClean('log after Test connection', new FlowRecord().logText());
  });

  it('found nothing in everything scanned', () => {
    assert.ok(scanned.length >= 10, `${scanned.length} texts scanned`);
    assert.ok(scanned.join('').length > 10_000, 'the scan saw real output');
  });
});
