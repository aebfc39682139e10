/**
 * The mail-action engine on a delegated account (a signed-in user) against the simulator: the mailbox `me`, single
 * requests and coalesced $batch items on /me paths, and another user's mailbox only with its owner's sharing.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MailActor, type ActionRequest } from '../../../src/act/actor';
import { ActionError } from '../../../src/act/errors';
import type { AccountSettings } from '../../../src/graph/account';
import { Connection } from '../../../src/graph/connection';
import { createHttpStack } from '../../../src/graph/http';
import { SignIns } from '../../../src/graph/sign-in';
import { TokenStore } from '../../../src/graph/token-store';
import { DEFAULT_APP, startSimulator, type Simulator } from '../../simulator';
import { simAccountProperties } from '../../support/sim-connection';
import { signInThroughPages } from '../../simulator/signin-helpers';

const USER = 'user@contoso.example';
const BOSS = 'boss@contoso.example';
const REDIRECT = 'http://127.0.0.1:1880/o365-config/delegated/callback';
const ID = 'act0delegated01';

function request(id: string, extra: Partial<ActionRequest> = {}): ActionRequest {
  return {
    operation: 'markRead',
    mail: { id },
    categoryMode: 'add',
    read: { bodyFormat: 'text', attachments: true, output: 'message' },
    ...extra,
  };
}

describe('mail action on a delegated account', function () {
  this.timeout(30_000);
  let sim: Simulator;
  let dir: string;
  let connection: Connection;

  before(async () => {
    sim = await startSimulator({ mailboxes: [USER, BOSS] });
    sim.addRedirectUri(DEFAULT_APP.clientId, REDIRECT);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'o365-act-delegated-'));
    const store = new TokenStore({ directory: dir, secrets: ['test-credential-secret'] });
    const http = createHttpStack({ timeoutMs: 10_000 });
    const settings: AccountSettings = { ...simAccountProperties(sim), authType: 'delegated' };
    const signIns = new SignIns({ store, http });
    try {
      const { authorizeUrl } = await signIns.startBrowser({
        id: ID,
        settings,
        permissions: ['offline_access', 'Mail.ReadWrite', 'Mail.ReadWrite.Shared'],
        redirectUri: REDIRECT,
      });
      const outcome = await signInThroughPages(sim, authorizeUrl, { user: USER });
      assert.ok(outcome.location, 'signed in');
      const result = await signIns.finishBrowser(Object.fromEntries(new URL(outcome.location).searchParams));
      assert.equal(result.error, undefined);
    } finally {
      signIns.close();
      http.destroy();
    }
    connection = new Connection(settings, { signIn: { store, id: ID } });
  });
  after(async () => {
    connection?.close();
    fs.rmSync(dir, { recursive: true, force: true });
    await sim.stop();
  });
  afterEach(() => assert.deepEqual(sim.schemaViolations, []));

  it("acts on the signed-in user's own mail as `me`, one by one and coalesced into $batch", async () => {
    const ids = sim.seedMessages(USER, 'inbox', 5);
    const actor = new MailActor(connection.mailbox('me'));
    try {
      sim.resetCounters();
      await Promise.all(ids.map((id) => actor.act(request(id))));
      assert.equal(sim.counters.batchRequests, 1);
      assert.ok(ids.every((id) => sim.getMessage(USER, id)?.isRead));
      const moved = await actor.act(request(ids[0], { operation: 'move', target: 'archive' }));
      assert.equal(sim.getMessage(USER, moved.id)?.parentFolderId, sim.folderId(USER, 'archive'));
    } finally {
      await actor.close();
    }
  });

  it("acts on another user's mailbox only when its owner shared it", async () => {
    const [id] = sim.seedMessages(BOSS, 'inbox', 1);
    const actor = new MailActor(connection.mailbox(BOSS));
    try {
      const denied = await actor.act(request(id)).catch((err: unknown) => err);
      assert.ok(denied instanceof ActionError);
      assert.equal(denied.code, 'PermissionMissing');
      sim.grantMailboxAccess(BOSS, USER, ['readWrite']);
      await actor.act(request(id));
      assert.equal(sim.getMessage(BOSS, id)?.isRead, true);
    } finally {
      await actor.close();
    }
  });
});
