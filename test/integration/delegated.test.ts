/**
 * Delegated sign-in in the real Node-RED runtime against the simulator: signing in from the dialog's endpoints (by the
 * browser's redirect and by device code), the nodes using the signed-in user's own mailbox (`me`), a restart without a
 * new sign-in, the newest refresh token kept, "sign in again" on every node when Entra revokes the sign-in (polls and
 * sends stop, no retry storm) and the nodes resuming after a new sign-in without a redeploy, for a revoked sign-in, a
 * withdrawn permission and 90 days unused; the sign-in's failure modes (wrong redirect URI, wrong state, consent
 * declined) each with a clear message; another user's mailbox (the .Shared permission, then the owner's sharing, each
 * named); Test connection (who, granted against needed, the mailbox probe); a web app signing in with its secret.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_APP, startSimulator, Simulator } from '../simulator';
import { approveDeviceCode, signInThroughPages } from '../simulator/signin-helpers';
import { type Listener, startHttpsFront } from '../support/https-front';
import {
  accountNode,
  CONFIG_ID,
  helper,
  mailActionProps,
  mailInProps,
  mailOutProps,
  nodeModules,
  runtimeWithUserDir,
  waitFor,
} from './setup';

const USER = 'user@contoso.example';
const OTHER = 'colleague@contoso.example';
const REDIRECT = 'http://127.0.0.1:1880/o365-config/delegated/callback';

type Status = { fill?: string; text?: string };
interface StartAnswer {
  flow: string;
  authorizeUrl?: string;
  userCode?: string;
  verificationUri?: string;
  permissions: string[];
  error?: string;
}

describe('delegated sign-in in Node-RED', function () {
  this.timeout(60_000);
  let sim: Simulator;

  before(async () => {
    sim = await startSimulator({ mailboxes: [USER, OTHER], deviceCodeIntervalSec: 1 });
    sim.addRedirectUri(DEFAULT_APP.clientId, REDIRECT);
    sim.setPublicClientFlows(DEFAULT_APP.clientId, true);
  });
  after(() => sim.stop());
  const userDir = runtimeWithUserDir('delegated');
  afterEach(() => {
    sim.clearFaults();
    sim.setStrictRefreshRotation(false);
    assert.deepEqual(sim.schemaViolations, []);
  });

  const account = () => accountNode(sim, { authType: 'delegated' });
  const dialogBody = (extra: Record<string, unknown> = {}) => ({
    ...account(),
    id: CONFIG_ID,
    credentials: {},
    uses: [
      { type: 'o365-mail-in', username: 'me', action: 'read' },
      { type: 'o365-mail-out', username: '', usernameType: 'str' },
    ],
    ...extra,
  });

  function flow(inProps: Record<string, unknown> = {}) {
    return [
      { id: 't', type: 'tab', label: 'delegated' },
      account(),
      { id: 'in1', z: 't', account: CONFIG_ID, wires: [['sink']], ...mailInProps('', inProps) },
      {
        id: 'in2',
        z: 't',
        account: CONFIG_ID,
        wires: [['sink']],
        ...mailInProps('me', { pollType: 'interval', interval: 1, pollOnStart: false }),
      },
      { id: 'out', z: 't', account: CONFIG_ID, wires: [['sink']], ...mailOutProps('') },
      { id: 'sink', z: 't', type: 'helper' },
    ];
  }

  async function load(inProps: Record<string, unknown> = {}) {
    const { config, mailIn, mailOut } = nodeModules();
    await helper.load([config, mailIn, mailOut], flow(inProps), {});
    const received: Record<string, unknown>[] = [];
    helper.getNode('sink').on('input', (msg: Record<string, unknown>) => received.push(msg));
    return received;
  }

  function recordStatuses(ids: string[]): Record<string, Status[]> {
    const seen: Record<string, Status[]> = {};
    for (const id of ids) {
      seen[id] = [];
      helper.getNode(id).on('call:status', (call: { args: [Status] }) => seen[id].push(call.args[0]));
    }
    return seen;
  }

  async function start(extra: Record<string, unknown> = {}): Promise<{ status: number; body: StartAnswer }> {
    const res = await helper
      .request()
      .post('/o365-config/delegated/start')
      .send(dialogBody({ flow: 'browser', redirectUri: REDIRECT, ...extra }));
    return { status: res.status, body: res.body as StartAnswer };
  }

  /** Signs USER in through the browser flow; answers the callback page. */
  async function browserSignIn(consent: 'accept' | 'cancel' = 'accept') {
    const { status, body } = await start();
    assert.equal(status, 200, JSON.stringify(body));
    const outcome = await signInThroughPages(sim, body.authorizeUrl ?? '', { user: USER, consent });
    assert.ok(outcome.location, `back at the redirect URI (${outcome.errorCode ?? outcome.status})`);
    const back = new URL(outcome.location);
    return helper.request().get(`${back.pathname}${back.search}`);
  }

  const accountStatus = async () =>
    (await helper.request().get('/o365-config/delegated/status').query({ id: CONFIG_ID })).body as {
      progress: { status: string; userCode?: string; error?: { why: string; message: string } };
      account: { status: string; user?: { username: string }; why?: string; permissions?: string[] };
    };

  it('signs in through the browser redirect, then the nodes receive and send as that user (mailbox me)', async () => {
    const received = await load();
    const statuses = recordStatuses(['in1', 'in2', 'out']);
    await waitFor(
      () =>
        ['in1', 'in2', 'out'].every((id) =>
          statuses[id].some((s) => /sign in again: not signed in/.test(s.text ?? '')),
        ),
      10_000,
      'every node saying it is not signed in',
    );
    const page = await browserSignIn();
    assert.equal(page.status, 200);
    assert.match(page.text, /Signed in as user@contoso\.example/);
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
    const status = await accountStatus();
    assert.equal(status.account.status, 'signed-in');
    assert.equal(status.account.user?.username, USER);
    assert.deepEqual(status.account.permissions, ['Mail.ReadWrite', 'Mail.Send']);
    sim.addMessage(USER, 'inbox', { subject: 'for the signed-in user', from: OTHER });
    helper.getNode('in1').receive({});
    await waitFor(() => received.some((m) => m.topic === 'for the signed-in user'), 10_000, 'the mail');
    const mail = received.find((m) => m.topic === 'for the signed-in user') as { o365: { mailbox: string } };
    assert.equal(mail.o365.mailbox, 'me');
    helper.getNode('out').receive({ to: OTHER, topic: 'sent as the user', payload: 'hello' });
    await waitFor(() => sim.sent.some((s) => s.message.subject === 'sent as the user'), 10_000, 'the send');
    assert.equal(sim.sent.find((s) => s.message.subject === 'sent as the user')?.mailbox, USER);
  });

  it("a mail action node acts on the signed-in user's mail, the mailbox coming from mail in (me)", async () => {
    const { config, mailIn, mailAction } = nodeModules();
    await helper.load(
      [config, mailIn, mailAction],
      [
        { id: 't', type: 'tab', label: 'delegated' },
        account(),
        { id: 'in1', z: 't', account: CONFIG_ID, wires: [['act']], ...mailInProps('', { action: 'none' }) },
        {
          id: 'act',
          z: 't',
          account: CONFIG_ID,
          wires: [['sink']],
          ...mailActionProps({ operation: 'move', target: 'archive' }),
        },
        { id: 'sink', z: 't', type: 'helper' },
      ],
      {},
    );
    const received: Record<string, unknown>[] = [];
    helper.getNode('sink').on('input', (msg: Record<string, unknown>) => received.push(msg));
    await browserSignIn();
    sim.addMessage(USER, 'inbox', { subject: 'to be archived' });
    helper.getNode('in1').receive({});
    await waitFor(() => received.length === 1, 10_000, 'the action');
    assert.ok(sim.messages(USER, 'archive').some((m) => m.subject === 'to be archived'));
    assert.equal((received[0].o365 as { mailbox: string }).mailbox, 'me');
  });

  it('signs in with a device code shown on every node, and the dialog sees it', async () => {
    await load();
    const statuses = recordStatuses(['in1', 'out']);
    const res = await helper
      .request()
      .post('/o365-config/delegated/start')
      .send(dialogBody({ flow: 'device' }));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const device = res.body as StartAnswer;
    assert.equal(device.verificationUri, `${sim.url}/devicelogin`);
    const code = device.userCode ?? '';
    await waitFor(
      () => ['in1', 'out'].every((id) => statuses[id].some((s) => (s.text ?? '').includes(code))),
      5000,
      'the code on every node',
    );
    assert.equal((await accountStatus()).progress.userCode, code);
    await approveDeviceCode(sim, code, { user: USER });
    await waitForAsync(
      async () => (await accountStatus()).account.status === 'signed-in',
      15_000,
      'signed in',
    );
    sim.addMessage(USER, 'inbox', { subject: 'device code mail' });
    const received: Record<string, unknown>[] = [];
    helper.getNode('sink').on('input', (msg: Record<string, unknown>) => received.push(msg));
    helper.getNode('in1').receive({});
    await waitFor(() => received.some((m) => m.topic === 'device code mail'), 10_000, 'the mail');
  });

  it('says in the dialog that Conditional Access blocks the device code flow, and to sign in with Microsoft instead', async () => {
    await load();
    const statuses = recordStatuses(['in1', 'out']);
    sim.blockDeviceCodeFlow(true);
    try {
      const res = await helper
        .request()
        .post('/o365-config/delegated/start')
        .send(dialogBody({ flow: 'device' }));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      await approveDeviceCode(sim, (res.body as StartAnswer).userCode ?? '', { user: USER });
      await waitForAsync(
        async () => (await accountStatus()).progress.status === 'failed',
        15_000,
        'the failed sign-in',
      );
      const { progress, account } = await accountStatus();
      assert.equal(progress.error?.why, 'blocked');
      assert.match(
        progress.error?.message ?? '',
        /Conditional Access blocks.*sign in with the browser.*Sign in with Microsoft.*AADSTS53003/,
      );
      assert.equal(account.status, 'sign-in-required');
      // The nodes showed the code while it waited.
      assert.ok(statuses.in1.some((s) => (s.text ?? '').includes((res.body as StartAnswer).userCode ?? '-')));
    } finally {
      sim.blockDeviceCodeFlow(false);
    }
  });

  it('ends a waiting device code sign-in when the runtime stops: no poll after that', async () => {
    await load();
    const res = await helper
      .request()
      .post('/o365-config/delegated/start')
      .send(dialogBody({ flow: 'device' }));
    assert.equal(res.status, 200);
    await helper.unload();
    await helper.stopServer();
    const polls = sim.counters.tokenRequests;
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(
      sim.counters.tokenRequests,
      polls,
      'the device code is not polled after the runtime stopped',
    );
    await helper.startServer();
  });

  it('survives a restart without a new sign-in and keeps the newest refresh token', async () => {
    await load();
    await browserSignIn();
    sim.setStrictRefreshRotation(true);
    for (let restart = 0; restart < 3; restart++) {
      await helper.unload();
      const received = await load();
      sim.expireTokens(); // the next request meets a 401 and the node refreshes with the stored refresh token
      sim.addMessage(USER, 'inbox', { subject: `after restart ${restart}` });
      helper.getNode('in1').receive({});
      await waitFor(() => received.some((m) => m.topic === `after restart ${restart}`), 10_000, 'the mail');
    }
    const uses = sim.refreshTokenUses.slice(-3);
    assert.equal(uses.length, 3);
    assert.ok(
      uses.every((u) => u.newest && u.outcome === 'ok'),
      JSON.stringify(uses),
    );
    const stored = fs.readdirSync(path.join(userDir(), '.o365-mail', 'sign-ins'));
    assert.deepEqual(stored, [`${CONFIG_ID}.json`]);
  });

  it('shows "sign in again" with the reason on every node when the sign-in is revoked, stops, and resumes after a new sign-in', async () => {
    const received = await load();
    await browserSignIn();
    const statuses = recordStatuses(['in1', 'in2', 'out']);
    const errors: string[] = [];
    helper
      .getNode('out')
      .on('call:error', (call: { args: [unknown] }) =>
        errors.push(call.args[0] instanceof Error ? call.args[0].message : String(call.args[0])),
      );
    sim.revokeSignInSessions(USER);
    sim.expireTokens();
    await waitFor(
      () =>
        ['in1', 'in2', 'out'].every((id) =>
          statuses[id].some(
            (s) =>
              s.fill === 'red' && /sign in again: password changed or sessions revoked/.test(s.text ?? ''),
          ),
        ),
      10_000,
      '"sign in again" with the reason on every node',
    );
    // in2 polls every second: no poll and no send reaches Entra or Graph while signed out.
    const before = { token: sim.counters.tokenRequests, graph: sim.counters.graphRequests };
    const out = helper.getNode('out');
    out.receive({ to: OTHER, topic: 'while signed out', payload: 'x' });
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(sim.counters.tokenRequests, before.token, 'no token request while signed out');
    assert.equal(sim.counters.graphRequests, before.graph, 'no Graph request while signed out');
    assert.ok(!sim.sent.some((s) => s.message.subject === 'while signed out'));
    assert.ok(
      errors.some((e) => /not sent.*sign in again/i.test(e)),
      `the send failed with "sign in again": ${errors.join(' | ')}`,
    );
    assert.equal((await accountStatus()).account.why, 'revoked');
    // A new sign-in resumes every node without a redeploy: in2 polls on its own again.
    sim.addMessage(USER, 'inbox', { subject: 'after the new sign-in' });
    await browserSignIn();
    await waitFor(
      () => received.some((m) => m.topic === 'after the new sign-in'),
      15_000,
      'in2 polling again',
    );
    out.receive({ to: OTHER, topic: 'after the new sign-in', payload: 'y' });
    await waitFor(
      () => sim.sent.some((s) => s.message.subject === 'after the new sign-in'),
      10_000,
      'the send',
    );
  });

  for (const [what, stop, reason, why] of [
    [
      'a permission withdrawn',
      () => sim.revokeConsent(USER, DEFAULT_APP.clientId, ['Mail.Send']),
      'a permission was withdrawn',
      'permission-withdrawn',
    ],
    ['90 days unused', () => sim.expireRefreshTokensByInactivity(USER), 'unused for 90 days', 'inactive'],
  ] as const) {
    it(`shows "sign in again: ${reason}" on every node after ${what}, and resumes after a new sign-in`, async () => {
      const received = await load();
      await browserSignIn();
      const statuses = recordStatuses(['in1', 'in2', 'out']);
      stop();
      sim.expireTokens();
      const pattern = new RegExp(`sign in again: ${reason}`);
      await waitFor(
        () => ['in1', 'in2', 'out'].every((id) => statuses[id].some((s) => pattern.test(s.text ?? ''))),
        10_000,
        `"sign in again: ${reason}" on every node`,
      );
      assert.equal((await accountStatus()).account.why, why);
      const before = sim.counters.tokenRequests;
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(sim.counters.tokenRequests, before, 'no token request while signed out');
      sim.addMessage(USER, 'inbox', { subject: `after ${what}` });
      await browserSignIn();
      await waitFor(() => received.some((m) => m.topic === `after ${what}`), 15_000, 'in2 polling again');
    });
  }

  it('explains an http redirect URI, an unregistered one, a forged state and declined consent', async () => {
    await load();
    const insecure = await start({ redirectUri: 'http://192.168.1.5:1880/o365-config/delegated/callback' });
    assert.equal(insecure.status, 400);
    assert.match(insecure.body.error ?? '', /http redirect URIs only for localhost.*sign in with a code/);
    const unregistered = await start({
      redirectUri: 'https://nodered.example/o365-config/delegated/callback',
    });
    const page = await signInThroughPages(sim, unregistered.body.authorizeUrl ?? '', { user: USER });
    assert.equal(page.errorCode, 'AADSTS50011');
    assert.equal((await accountStatus()).progress.status, 'waiting-for-browser');
    sim.resetCounters();
    const forged = await helper
      .request()
      .get('/o365-config/delegated/callback')
      .query({ code: 'stolen-code', state: 'not-ours' });
    assert.equal(forged.status, 400);
    assert.match(forged.text, /does not belong to a sign-in started here/);
    assert.equal(sim.counters.tokenRequests, 0, 'a forged state never reaches the token endpoint');
    sim.revokeConsent(USER, DEFAULT_APP.clientId);
    const declined = await browserSignIn('cancel');
    assert.equal(declined.status, 400);
    assert.match(declined.text, /permissions were declined.*AADSTS65004/);
    const status = await accountStatus();
    assert.equal(status.progress.error?.why, 'declined');
    assert.equal(status.account.status, 'sign-in-required');
  });

  it("another user's mailbox: the dialog asks for .Shared, a node names the permission or the sharing it lacks, and works once both are there, without a redeploy", async () => {
    const { config, mailIn } = nodeModules();
    await helper.load(
      [config, mailIn],
      [
        { id: 't', type: 'tab', label: 'delegated' },
        account(),
        { id: 'in1', z: 't', account: CONFIG_ID, wires: [['sink']], ...mailInProps(OTHER) },
        { id: 'sink', z: 't', type: 'helper' },
      ],
      {},
    );
    const received: Record<string, unknown>[] = [];
    helper.getNode('sink').on('input', (msg: Record<string, unknown>) => received.push(msg));
    const errors: string[] = [];
    helper
      .getNode('in1')
      .on('call:error', (call: { args: [unknown] }) =>
        errors.push(call.args[0] instanceof Error ? call.args[0].message : String(call.args[0])),
      );
    sim.revokeConsent(USER, DEFAULT_APP.clientId); // Entra adds consented permissions up: start from none
    const nodeUses = [{ type: 'o365-mail-in', username: OTHER, usernameType: 'str', action: 'read' }];
    // What the dialog lists once the node names another mailbox.
    const asked = await helper
      .request()
      .post('/o365-config/delegated/permissions')
      .send(dialogBody({ uses: nodeUses }));
    assert.equal(asked.status, 200, asked.text);
    const listed = JSON.stringify(asked.body);
    assert.match(listed, /Mail\.ReadWrite\.Shared/);
    assert.match(listed, /other-mailbox/);
    // A sign-in made before the node named another mailbox (the dialog's uses: only me) lacks .Shared.
    const { status, body } = await start({
      uses: [{ type: 'o365-mail-in', username: 'me', action: 'read' }],
    });
    assert.equal(status, 200, JSON.stringify(body));
    assert.ok(!body.permissions.some((p) => p.endsWith('.Shared')), body.permissions.join(', '));
    const outcome = await signInThroughPages(sim, body.authorizeUrl ?? '', { user: USER });
    const back = new URL(outcome.location ?? '');
    await helper.request().get(`${back.pathname}${back.search}`);
    sim.addMessage(OTHER, 'inbox', { subject: "the colleague's mail" });
    helper.getNode('in1').receive({});
    await waitFor(() => errors.length > 0, 10_000, 'the error');
    assert.match(errors[0], /lacks Mail\.(Read|ReadWrite)\.Shared.*sign in again/);
    // Signed in with .Shared, but the owner has not shared the mailbox: the error says what only the owner can do.
    const again = await start({ uses: nodeUses });
    assert.ok(again.body.permissions.includes('Mail.ReadWrite.Shared'), again.body.permissions.join(', '));
    const second = await signInThroughPages(sim, again.body.authorizeUrl ?? '', { user: USER });
    const back2 = new URL(second.location ?? '');
    assert.equal((await helper.request().get(`${back2.pathname}${back2.search}`)).status, 200);
    errors.length = 0;
    helper.getNode('in1').receive({});
    await waitFor(() => errors.length > 0, 10_000, 'the error');
    assert.match(errors[0], /has no access to mailbox colleague@contoso\.example: its owner must share it/);
    // The owner shares it: the same deployed node receives the colleague's mail.
    sim.grantMailboxAccess(OTHER, USER, ['readWrite']);
    helper.getNode('in1').receive({});
    await waitFor(() => received.some((m) => m.topic === "the colleague's mail"), 10_000, 'the mail');
  });

  it("push: the signed-in user's own mailbox subscribes; another user's mailbox polls, as Graph refuses it with .Shared permissions", async () => {
    let httpNode: Listener | null = null;
    const front = await startHttpsFront(
      (req, res) => (httpNode ? httpNode(req, res) : res.writeHead(503).end()),
      '/nodered',
    );
    try {
      sim.grantMailboxAccess(OTHER, USER, ['readWrite']);
      const { config, mailIn } = nodeModules();
      const push = { pollType: 'push', interval: 900, pollOnStart: true };
      await helper.load(
        [
          config,
          (RED: { httpNode?: unknown }) => {
            httpNode = RED.httpNode as Listener;
            return mailIn(RED);
          },
        ],
        [
          { id: 't', type: 'tab', label: 'delegated' },
          accountNode(sim, { authType: 'delegated', publicUrl: `${front.url}/nodered` }),
          { id: 'own', z: 't', account: CONFIG_ID, wires: [[]], ...mailInProps('me', push) },
          { id: 'shared', z: 't', account: CONFIG_ID, wires: [[]], ...mailInProps(OTHER, push) },
        ],
        {},
      );
      const statuses = recordStatuses(['own', 'shared']);
      const { body } = await start({
        uses: [
          { type: 'o365-mail-in', username: 'me', action: 'read' },
          { type: 'o365-mail-in', username: OTHER, usernameType: 'str', action: 'read' },
        ],
      });
      const outcome = await signInThroughPages(sim, body.authorizeUrl ?? '', { user: USER });
      const back = new URL(outcome.location ?? '');
      assert.equal((await helper.request().get(`${back.pathname}${back.search}`)).status, 200);
      await waitFor(
        () =>
          statuses.own.some((s) => /push on/.test(s.text ?? '')) &&
          statuses.shared.some((s) => /polling only/.test(s.text ?? '')),
        15_000,
        'push on for me, polling only for the shared mailbox',
      ).catch((err: Error) => {
        throw new Error(`${err.message}: ${JSON.stringify(statuses)}`);
      });
      const subscribed = sim.subscriptions().map((x) => x.resource);
      assert.equal(subscribed.length, 1, subscribed.join(', '));
      assert.match(subscribed[0], /^me\//);
    } finally {
      await helper.unload();
      await front.close();
    }
  });

  it('Test connection says who is signed in, the permissions granted against those the nodes need, and probes the mailbox', async () => {
    await load();
    const test = (extra: Record<string, unknown>) =>
      helper.request().post('/o365-config/test').send(dialogBody(extra));
    const before = await test({ mailbox: 'me' });
    assert.equal(before.status, 200, before.text);
    assert.equal(before.body.token.ok, false);
    assert.match(before.body.token.message, /Not signed in.*Sign in with Microsoft/);
    // Entra adds consented permissions up; start from none so the grant is what this sign-in asked for.
    sim.revokeConsent(USER, DEFAULT_APP.clientId);
    await browserSignIn();
    const uses = [
      { type: 'o365-mail-in', username: 'me', action: 'read' },
      { type: 'o365-mail-out', username: OTHER, usernameType: 'str' },
    ];
    const report = (await test({ mailbox: 'me', uses })).body as {
      token: { ok: boolean };
      delegated: {
        user: { username: string };
        permissions: string[];
        needs: { permission: string; granted: boolean; because: string[] }[];
      };
      mailbox: { address: string; ok: boolean };
    };
    assert.equal(report.token.ok, true);
    assert.equal(report.delegated.user.username, USER);
    assert.deepEqual(report.delegated.permissions, ['Mail.ReadWrite', 'Mail.Send']);
    assert.deepEqual(
      report.delegated.needs.filter((n) => !n.granted).map((n) => n.permission),
      ['Mail.ReadWrite.Shared', 'Mail.Send.Shared'],
    );
    assert.ok(report.delegated.needs.every((n) => n.because.length > 0));
    assert.deepEqual(report.mailbox, { address: 'me', ok: true });
    const other = (await test({ mailbox: OTHER, uses })).body as {
      mailbox: { ok: boolean; message: string };
    };
    assert.equal(other.mailbox.ok, false);
    assert.match(other.mailbox.message, /lacks Mail\.Read\.Shared/);
  });

  it('signs in as a web app with a client secret (a Web redirect URI) and keeps working after a password reset', async () => {
    const web = 'https://nodered.example/o365-config/delegated/callback';
    sim.addRedirectUri(DEFAULT_APP.clientId, web, 'web');
    const secret = DEFAULT_APP.secrets?.[0]?.value ?? '';
    const { config, mailIn } = nodeModules();
    await helper.load(
      [config, mailIn],
      [
        { id: 't', type: 'tab', label: 'delegated' },
        account(),
        { id: 'in1', z: 't', account: CONFIG_ID, wires: [['sink']], ...mailInProps('') },
        { id: 'sink', z: 't', type: 'helper' },
      ],
      { [CONFIG_ID]: { clientSecret: secret } },
    );
    const received: Record<string, unknown>[] = [];
    helper.getNode('sink').on('input', (msg: Record<string, unknown>) => received.push(msg));
    // The dialog sends the saved secret as Node-RED's placeholder; the runtime uses the deployed one.
    const { status, body } = await start({ redirectUri: web, credentials: { clientSecret: '__PWRD__' } });
    assert.equal(status, 200, JSON.stringify(body));
    assert.ok(!JSON.stringify(body).includes(secret), 'the answer carries the secret');
    const outcome = await signInThroughPages(sim, body.authorizeUrl ?? '', { user: USER });
    const back = new URL(outcome.location ?? '');
    assert.equal(back.origin, 'https://nodered.example');
    const page = await helper.request().get(`${back.pathname}${back.search}`);
    assert.equal(page.status, 200, page.text);
    assert.match(page.text, /Signed in as user@contoso\.example/);
    // Entra keeps a confidential client's refresh tokens valid after a password reset.
    sim.resetPassword(USER);
    sim.expireTokens();
    sim.addMessage(USER, 'inbox', { subject: 'web app mail' });
    helper.getNode('in1').receive({});
    await waitFor(() => received.some((m) => m.topic === 'web app mail'), 10_000, 'the mail');
    assert.equal((await accountStatus()).account.status, 'signed-in');
  });

  it('forgets the stored sign-in when the account is deleted and deployed, and keeps it through a redeploy', async () => {
    await load();
    await browserSignIn();
    const store = path.join(userDir(), '.o365-mail', 'sign-ins');
    // A full redeploy that keeps the account restarts it: the sign-in stays.
    await helper.setFlows(flow(), 'full', {});
    assert.deepEqual(fs.readdirSync(store), [`${CONFIG_ID}.json`]);
    // Deleting the account (and its nodes), then deploying, removes it.
    await helper.setFlows([{ id: 't', type: 'tab', label: 'delegated' }], 'full', {});
    await waitFor(() => fs.readdirSync(store).length === 0, 5000, 'the stored sign-in removed');
  });

  it('signs out: the stored sign-in is gone and every node says so', async () => {
    await load();
    await browserSignIn();
    const statuses = recordStatuses(['in1', 'out']);
    const res = await helper.request().post('/o365-config/delegated/signout').send({ id: CONFIG_ID });
    assert.equal(res.status, 200);
    assert.deepEqual(fs.readdirSync(path.join(userDir(), '.o365-mail', 'sign-ins')), []);
    await waitFor(
      () =>
        ['in1', 'out'].every((id) =>
          statuses[id].some((s) => /sign in again: signed out/.test(s.text ?? '')),
        ),
      5000,
      '"signed out" on every node',
    );
  });
});

async function waitForAsync(
  predicate: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
