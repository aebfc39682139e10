/**
 * A signed-in account survives a real restart of Node-RED (a new process on the same userDir): the nodes work again
 * with the refresh token kept in the encrypted sign-in store, without a new sign-in, and the store holds no token in
 * the clear.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_APP, startSimulator, type Simulator } from '../simulator';
import { signInThroughPages } from '../simulator/signin-helpers';
import { type NodeRedProcess, startNodeRed } from '../support/node-red-process';
import { accountNode, CONFIG_ID, mailInProps, waitFor } from './setup';

const USER = 'user@contoso.example';

describe('delegated sign-in across a restart of Node-RED (real process)', function () {
  this.timeout(120_000);
  let sim: Simulator;
  let red: NodeRedProcess | undefined;

  before(async () => {
    sim = await startSimulator({ mailboxes: [USER] });
    // Entra ignores the port of a loopback redirect URI: the restarted Node-RED may listen on another one.
    sim.addRedirectUri(DEFAULT_APP.clientId, 'http://127.0.0.1/o365-config/delegated/callback');
  });
  after(async () => {
    await red?.stop();
    await sim.stop();
  });

  const start = (userDir?: string) => startNodeRed({ userDir, env: { NODE_EXTRA_CA_CERTS: sim.caFile } });

  it('keeps working after the restart without a new sign-in, with the newest refresh token', async () => {
    red = await start();
    const account = accountNode(sim, { authType: 'delegated' });
    const flow = [
      { id: 't', type: 'tab', label: 'delegated' },
      account,
      {
        id: 'in1',
        z: 't',
        account: CONFIG_ID,
        wires: [[]],
        ...mailInProps('me', { pollType: 'interval', interval: 1, pollOnStart: true }),
      },
    ];
    const deploy = await fetch(`${red.url}/flows`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
      body: JSON.stringify(flow),
    });
    assert.equal(deploy.status, 204);
    const started = await fetch(`${red.url}/o365-config/delegated/start`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        ...account,
        credentials: {},
        flow: 'browser',
        redirectUri: `${red.url}/o365-config/delegated/callback`,
      }),
    });
    assert.equal(started.status, 200, await started.clone().text());
    const { authorizeUrl } = (await started.json()) as { authorizeUrl: string };
    const outcome = await signInThroughPages(sim, authorizeUrl, { user: USER });
    const back = new URL(outcome.location ?? '');
    const page = await fetch(`${red.url}${back.pathname}${back.search}`);
    assert.match(await page.text(), /Signed in as user@contoso\.example/);
    const first = sim.addMessage(USER, 'inbox', { subject: 'before the restart' });
    await waitFor(() => sim.getMessage(USER, first)?.isRead === true, 15_000, 'the first mail read');

    const userDir = red.userDir;
    await red.stop({ keepUserDir: true });
    red = undefined;
    const store = path.join(userDir, '.o365-mail', 'sign-ins', `${CONFIG_ID}.json`);
    const stored = fs.readFileSync(store, 'utf8');
    const issued = sim.issuedSecrets();
    assert.ok(!issued.refreshTokens.some((t) => stored.includes(t)), 'a refresh token in the clear');
    const codesBefore = issued.codes.length;
    sim.expireTokens(); // the access token kept in the store is of no use: only the refresh token signs in
    const usesBefore = sim.refreshTokenUses.length;

    red = await start(userDir);
    const second = sim.addMessage(USER, 'inbox', { subject: 'after the restart' });
    await waitFor(() => sim.getMessage(USER, second)?.isRead === true, 20_000, 'the mail after the restart');
    assert.equal(sim.issuedSecrets().codes.length, codesBefore, 'no new sign-in');
    const uses = sim.refreshTokenUses.slice(usesBefore);
    assert.ok(uses.length >= 1, 'the stored refresh token was used');
    assert.ok(
      uses.every((u) => u.newest && u.outcome === 'ok'),
      JSON.stringify(uses),
    );
    const status = (await (
      await fetch(`${red.url}/o365-config/delegated/status?id=${CONFIG_ID}`)
    ).json()) as { account: { status: string; user?: { username: string } } };
    assert.equal(status.account.user?.username, USER);
    assert.notEqual(status.account.status, 'sign-in-required');
    assert.doesNotMatch(red.output(), /sign in again/i);
  });
});
