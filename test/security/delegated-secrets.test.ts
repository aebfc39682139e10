/**
 * Secret scan for delegated sign-in: a work account and a personal one sign in (browser and device code), receive and
 * send, then their sign-in is revoked; Test connection, the sign-in endpoints and the callback pages are asked along
 * the way. No refresh token, authorization code, device code or access token the simulator ever issued may appear in
 * Node-RED's log, a status, an error, a Catch message, an output, the flow configuration, an admin answer or a page,
 * and the sign-in store on disk holds none of them in the clear.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_APP, startSimulator, type Simulator } from '../simulator';
import { approveDeviceCode, signInThroughPages } from '../simulator/signin-helpers';
import { MailInNode } from '../integration/mail-in-harness';
import { runtimeWithUserDir } from '../integration/setup';
import {
  CONFIG_ID,
  helper,
  loadFlow,
  mailInProps,
  mailOutProps,
  safeJson,
  waitFor,
} from '../reliability/support';

const USER = 'user@contoso.example';
const PERSONAL = 'someone@outlook.example';
const REDIRECT = 'http://127.0.0.1:1880/o365-config/delegated/callback';
const JWT = /eyJ[\w-]+\.[\w-]+\.[\w-]*/;

describe('security: no token of a delegated sign-in anywhere', function () {
  this.timeout(60_000);
  let sim: Simulator;
  const texts: { what: string; text: string }[] = [];

  before(async () => {
    sim = await startSimulator({ mailboxes: [USER], deviceCodeIntervalSec: 1 });
    sim.addMailbox(PERSONAL, { personal: true });
    sim.addRedirectUri(DEFAULT_APP.clientId, REDIRECT);
    sim.setPublicClientFlows(DEFAULT_APP.clientId, true);
    sim.setSignInAudience(DEFAULT_APP.clientId, 'AzureADandPersonalMicrosoftAccount');
  });
  after(() => sim.stop());
  const userDir = runtimeWithUserDir('scan');

  const keep = (what: string, text: string) => texts.push({ what, text });

  async function signInAndUse(tenant: string, user: string, flow: 'browser' | 'device'): Promise<void> {
    const account = { authType: 'delegated', tenantId: tenant };
    const record = await loadFlow(
      sim,
      [
        { id: 'in0', ...mailInProps('me') },
        { id: 'out', ...mailOutProps('me') },
      ],
      { account, credentials: {} },
    );
    const body = {
      id: CONFIG_ID,
      tenantId: tenant,
      applicationId: DEFAULT_APP.clientId,
      cloud: 'custom',
      authorityHost: sim.url,
      graphEndpoint: sim.url,
      authType: 'delegated',
      credentials: {},
      flow,
      redirectUri: REDIRECT,
    };
    const started = await helper.request().post('/o365-config/delegated/start').send(body);
    keep('start answer', started.text);
    assert.equal(started.status, 200, started.text);
    if (flow === 'browser') {
      const outcome = await signInThroughPages(sim, started.body.authorizeUrl, { user });
      const back = new URL(outcome.location ?? '');
      const page = await helper.request().get(`${back.pathname}${back.search}`);
      keep('callback page', page.text);
      assert.match(page.text, /Signed in as/);
    } else {
      await approveDeviceCode(sim, started.body.userCode, { user });
      await waitFor(
        () => fs.existsSync(path.join(userDir(), '.o365-mail', 'sign-ins', `${CONFIG_ID}.json`)),
        15_000,
      );
    }
    const status = await helper.request().get('/o365-config/delegated/status').query({ id: CONFIG_ID });
    keep('status answer', status.text);
    const mailIn = new MailInNode(helper.getNode('in0'));
    sim.addMessage(user, 'inbox', { subject: 'scan' });
    mailIn.trigger();
    await waitFor(() => mailIn.pollsEnded > 0, 15_000, 'the poll');
    helper.getNode('out').receive({ to: USER, topic: 'scan', payload: 'x' });
    await waitFor(() => record.outputs.length + record.caught.length > 1, 15_000, 'the send');
    const test = await helper
      .request()
      .post('/o365-config/test')
      .send({ ...body, mailbox: 'me' });
    keep('Test connection (signed in)', test.text);
    assert.match(test.text, /"username"/);
    // Revoked: every node says "sign in again"; polls, sends and Test connection fail.
    sim.revokeSignInSessions(user);
    sim.expireTokens();
    const caughtBefore = record.caught.length;
    mailIn.trigger();
    helper.getNode('out').receive({ to: USER, topic: 'scan 2', payload: 'y' });
    await waitFor(() => record.caught.length >= caughtBefore + 2, 15_000, 'both failures');
    keep('Test connection (revoked)', (await helper.request().post('/o365-config/test').send(body)).text);
    keep(`${tenant}: statuses, outputs, errors, log`, record.everything() + safeJson(mailIn.messages));
    const nodes = (helper as unknown as { _redNodes: { getFlows(): unknown } })._redNodes;
    keep(`${tenant}: flow configuration`, safeJson(nodes.getFlows()));
    const store = path.join(userDir(), '.o365-mail', 'sign-ins');
    for (const file of fs.readdirSync(store))
      keep(`sign-in store ${file}`, fs.readFileSync(path.join(store, file), 'utf8'));
  }

  it('a work account signed in through the browser', async () => {
    await signInAndUse(sim.tenantId, USER, 'browser');
  });

  it('a personal account signed in with a device code (opaque access tokens)', async () => {
    await signInAndUse('consumers', PERSONAL, 'device');
  });

  it('found none of the issued tokens and codes in everything kept', () => {
    const issued = sim.issuedSecrets();
    const forbidden = [
      ...issued.refreshTokens,
      ...issued.codes,
      ...issued.deviceCodes,
      ...issued.opaqueAccessTokens,
    ];
    assert.ok(issued.refreshTokens.length >= 4, `refresh tokens issued: ${issued.refreshTokens.length}`);
    assert.ok(issued.opaqueAccessTokens.length >= 1, 'a personal account got an opaque token');
    for (const { what, text } of texts) {
      for (const secret of forbidden)
        assert.ok(!text.includes(secret), `${what} contains an issued token or code`);
      assert.doesNotMatch(text, JWT, `${what} contains a JWT`);
      assert.doesNotMatch(text, /Bearer\s+\S{20,}/, `${what} contains an Authorization header`);
      assert.doesNotMatch(text, /refresh_token|code_verifier/, `${what} contains a token request`);
    }
    assert.ok(texts.length >= 14, `${texts.length} texts scanned`);
    assert.ok(texts.map((t) => t.text).join('').length > 10_000, 'the scan saw real output');
  });
});
