/**
 * The Test connection admin endpoint in a real Node-RED with adminAuth: it requires the o365-config.write
 * permission, uses the stored secret when the password field is unchanged, and never returns or logs a secret.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startSimulator, Simulator } from '../simulator';
import { NodeRedProcess, startNodeRed } from '../support/node-red-process';
import { accountNode } from './setup';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const bcrypt = require('bcryptjs') as { hashSync(text: string, rounds: number): string };

const MAILBOX = 'user@contoso.example';

describe('Test connection admin endpoint (real Node-RED with adminAuth)', function () {
  this.timeout(90_000);
  let sim: Simulator;
  let red: NodeRedProcess;
  const tokens: Record<string, string> = {};

  before(async () => {
    sim = await startSimulator({ mailboxes: [MAILBOX] });
    const hash = bcrypt.hashSync('password', 8);
    red = await startNodeRed({
      settings: `adminAuth: { type: 'credentials', users: [
        { username: 'admin', password: '${hash}', permissions: '*' },
        { username: 'viewer', password: '${hash}', permissions: 'read' } ] },`,
      env: { NODE_EXTRA_CA_CERTS: sim.caFile },
    });
    for (const user of ['admin', 'viewer']) {
      const res = await fetch(`${red.url}/auth/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          client_id: 'node-red-admin',
          grant_type: 'password',
          scope: user === 'admin' ? '*' : 'read',
          username: user,
          password: 'password',
        }),
      });
      assert.equal(res.status, 200, `login as ${user}`);
      tokens[user] = ((await res.json()) as { access_token: string }).access_token;
    }
    // Deploy a config node holding the secret, as the editor would.
    const flow = [{ ...accountNode(sim), credentials: { clientSecret: sim.app.secrets?.[0]?.value } }];
    const deploy = await fetch(`${red.url}/flows`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Authorization: `Bearer ${tokens.admin}`,
        'Node-RED-Deployment-Type': 'full',
      },
      body: JSON.stringify(flow),
    });
    assert.equal(deploy.status, 204);
  });

  after(async () => {
    await red?.stop();
    await sim?.stop();
  });

  const body = (credentials: Record<string, string>, mailbox?: string) => ({
    ...accountNode(sim),
    credentials,
    mailbox,
  });
  const post = (payload: unknown, token?: string) =>
    fetch(`${red.url}/o365-config/test`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(payload),
    });

  it('rejects a request without a login (401)', async () => {
    const res = await post(body({ clientSecret: '__PWRD__' }));
    assert.equal(res.status, 401);
  });

  it('rejects a user without the o365-config.write permission', async () => {
    const flows = await fetch(`${red.url}/flows`, { headers: { Authorization: `Bearer ${tokens.viewer}` } });
    assert.equal(flows.status, 200, 'the viewer is logged in and may read');
    const res = await post(body({ clientSecret: '__PWRD__' }), tokens.viewer);
    assert.equal(res.status, 401, 'Node-RED answers 401 to a missing permission');
  });

  it('uses the stored secret when the password field is unchanged, and reports roles and mailbox', async () => {
    const res = await post(body({ clientSecret: '__PWRD__' }, MAILBOX), tokens.admin);
    assert.equal(res.status, 200);
    const report = (await res.json()) as {
      token: { ok: boolean };
      roles: string[];
      mailbox: { ok: boolean };
    };
    assert.equal(report.token.ok, true);
    assert.deepEqual([...report.roles].sort(), ['Mail.ReadWrite', 'Mail.Send']);
    assert.equal(report.mailbox.ok, true);
  });

  it('tests an unsaved secret typed in the dialog and explains a wrong one without echoing it', async () => {
    const res = await post(body({ clientSecret: 'typed-but-wrong-secret' }, MAILBOX), tokens.admin);
    const text = await res.text();
    assert.equal(res.status, 200);
    const report = JSON.parse(text) as { token: { ok: boolean; code: string; message: string } };
    assert.equal(report.token.ok, false);
    assert.equal(report.token.code, 'AADSTS7000215');
    assert.match(report.token.message, /Value, not its Secret ID/);
    assert.ok(!text.includes('typed-but-wrong-secret'));
  });

  it('answers a body that is not JSON settings with a clear 400', async () => {
    const res = await fetch(`${red.url}/o365-config/test`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain', Authorization: `Bearer ${tokens.admin}` },
      body: 'nonsense',
    });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /expected a JSON body/);
  });

  it('keeps every secret out of the flow file, the admin API and the log', async () => {
    const secret = sim.app.secrets?.[0]?.value as string;
    const flows = await fetch(`${red.url}/flows`, { headers: { Authorization: `Bearer ${tokens.admin}` } });
    const flowText = await flows.text();
    assert.ok(!flowText.includes(secret), 'admin API /flows');
    const onDisk = fs.readFileSync(path.join(red.userDir, 'flows.json'), 'utf8');
    assert.ok(!onDisk.includes(secret), 'flows.json');
    const credFile = fs.readFileSync(path.join(red.userDir, 'flows_cred.json'), 'utf8');
    assert.ok(!credFile.includes(secret), 'flows_cred.json is encrypted');
    assert.ok(!red.output().includes(secret) && !red.output().includes('typed-but-wrong-secret'), 'log');
  });
});
