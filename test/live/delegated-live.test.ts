/**
 * Live test of delegated sign-in against a real Microsoft 365 or Outlook.com account. Skipped (and says so) unless
 * these are set:
 * - O365_DELEGATED_TENANT_ID (a tenant id or domain, common, organizations or consumers) and O365_DELEGATED_CLIENT_ID;
 *   O365_DELEGATED_CLOUD (with O365_DELEGATED_AUTHORITY_HOST and O365_DELEGATED_GRAPH_ENDPOINT for `custom`) and
 *   O365_DELEGATED_CLIENT_SECRET (a web app) are optional;
 * - a sign-in, either one Node-RED already made (the dialog's "Sign in with Microsoft"): O365_DELEGATED_STORE (the
 *   directory `<userDir>/.o365-mail/sign-ins`), O365_DELEGATED_ID (the config node's id) and O365_DELEGATED_SECRET
 *   (settings.js credentialSecret); or O365_DELEGATED_DEVICE_CODE=1 to sign in now with a device code printed here.
 * O365_DELEGATED_MAILBOX names another mailbox to use (default: me). The test reads who is signed in and the granted
 * permissions, sends a mail to the mailbox itself, finds it, deletes it, and checks the store kept a rotated refresh
 * token (the newest; it never prints one).
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AccountSettings } from '../../src/graph/account';
import { Connection } from '../../src/graph/connection';
import { neededPermissions } from '../../src/graph/delegated-permissions';
import { testConnection } from '../../src/graph/diagnose';
import { createHttpStack } from '../../src/graph/http';
import { odataString } from '../../src/graph/odata';
import { SignIns } from '../../src/graph/sign-in';
import { TokenStore } from '../../src/graph/token-store';
import { buildOutgoingMail, sendMailRequestBody } from '../../src/mail/outbound';

const env = process.env;
const account = ['O365_DELEGATED_TENANT_ID', 'O365_DELEGATED_CLIENT_ID'].filter((name) => !env[name]);
const stored = ['O365_DELEGATED_STORE', 'O365_DELEGATED_ID', 'O365_DELEGATED_SECRET'].filter(
  (name) => !env[name],
);
const deviceCode = env.O365_DELEGATED_DEVICE_CODE === '1';
const missing = account.length ? account : stored.length && !deviceCode ? stored : [];

describe('live delegated sign-in', function () {
  this.timeout(20 * 60_000);
  let store: TokenStore;
  let id: string;
  let scratch: string | undefined;

  const settings = (): AccountSettings => ({
    tenantId: env.O365_DELEGATED_TENANT_ID,
    applicationId: env.O365_DELEGATED_CLIENT_ID,
    cloud: env.O365_DELEGATED_CLOUD || 'global',
    authorityHost: env.O365_DELEGATED_AUTHORITY_HOST,
    graphEndpoint: env.O365_DELEGATED_GRAPH_ENDPOINT,
    authType: 'delegated',
    ...(env.O365_DELEGATED_CLIENT_SECRET ? { clientSecret: env.O365_DELEGATED_CLIENT_SECRET } : {}),
  });
  const mailbox = () => env.O365_DELEGATED_MAILBOX || 'me';

  before(async function () {
    if (missing.length > 0) {
      console.log(
        `    live delegated test skipped: set ${missing.join(', ')}${account.length ? '' : ' (or O365_DELEGATED_DEVICE_CODE=1)'}`,
      );
      this.skip();
    }
    if (!stored.length) {
      store = new TokenStore({
        directory: env.O365_DELEGATED_STORE as string,
        secrets: [env.O365_DELEGATED_SECRET as string],
      });
      id = env.O365_DELEGATED_ID as string;
      return;
    }
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'o365-live-'));
    store = new TokenStore({ directory: scratch, secrets: [randomUUID()] });
    id = 'live';
    const http = createHttpStack({});
    let signedIn = false;
    const signIns = new SignIns({ store, http, onSignedIn: () => void (signedIn = true) });
    try {
      const permissions = neededPermissions([], { personal: settings().tenantId === 'consumers' }).map(
        (n) => n.permission,
      );
      const device = await signIns.startDevice({ id, settings: settings(), permissions });
      console.log(
        `    sign in at ${device.verificationUri} with the code ${device.userCode} (until ${device.expiresAt})`,
      );
      while (!signedIn) {
        const progress = signIns.progress(id);
        if (progress.status === 'failed') assert.fail(progress.error.message);
        await new Promise((r) => setTimeout(r, 1000));
      }
    } finally {
      signIns.close();
      http.destroy();
    }
  });
  after(() => {
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('says who is signed in, grants Mail.ReadWrite and Mail.Send, and reaches the mailbox', async () => {
    const report = await testConnection(settings(), mailbox(), { signIn: { store, id } });
    assert.equal(report.token.ok, true, JSON.stringify(report.token));
    assert.ok(report.delegated?.user?.username, 'a signed-in user');
    console.log(
      `    signed in as ${report.delegated?.user?.username}: ${report.delegated?.permissions.join(', ')}`,
    );
    for (const permission of ['Mail.ReadWrite', 'Mail.Send']) {
      assert.ok(
        report.delegated?.permissions.some((p) => p.toLowerCase() === permission.toLowerCase()),
        `${permission} granted`,
      );
    }
    assert.equal(report.mailbox?.ok, true, JSON.stringify(report.mailbox));
  });

  it('sends a mail to the mailbox itself, finds it, deletes it, and keeps the rotated refresh token', async () => {
    const before = fs.readFileSync(
      path.join(scratch ?? (env.O365_DELEGATED_STORE as string), `${id}.json`),
      'utf8',
    );
    const connection = new Connection(settings(), { signIn: { store, id } });
    try {
      await connection.tokens.getToken({ forceRefresh: true });
      const api = connection.mailbox(mailbox());
      const state = await connection.delegated?.load();
      const address = mailbox() === 'me' && state?.status === 'signed-in' ? state.user.username : mailbox();
      const subject = `node-red-o365-mail delegated live test ${randomUUID()}`;
      const mail = buildOutgoingMail({
        subject,
        to: address,
        cc: undefined,
        bcc: undefined,
        payload: 'delegated live test',
        bodyType: 'text',
      });
      await api.sendMail(sendMailRequestBody(mail, false));
      const inbox = await api.resolveFolder('inbox');
      let found: Record<string, unknown> | undefined;
      const deadline = Date.now() + 150_000;
      while (!found && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 5000));
        for await (const page of api.listMessages(inbox, {
          select: ['id', 'subject'],
          filter: `subject eq ${odataString(subject)}`,
          top: 10,
          bodyFormat: 'text',
        })) {
          found = page.value[0];
          break;
        }
      }
      assert.ok(found, 'the mail arrived within 150 s');
      await api.deleteMessage(String(found.id));
    } finally {
      connection.close();
    }
    const after = fs.readFileSync(
      path.join(scratch ?? (env.O365_DELEGATED_STORE as string), `${id}.json`),
      'utf8',
    );
    assert.notEqual(after, before, 'the store was rewritten with the refresh token the refresh answered');
  });
});
