/**
 * Delegated sign-in in the graph layer, against the simulator: browser sign-in with PKCE and state, device code,
 * the stored sign-in across restarts with the newest refresh token, "sign in again" when Entra stops honouring it,
 * the permissions the nodes need, and 403s that name the permission or the missing delegation.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AccountSettings } from '../../../src/graph/account';
import { Connection } from '../../../src/graph/connection';
import { neededPermissions } from '../../../src/graph/delegated-permissions';
import { DelegatedTokens, SignInState } from '../../../src/graph/delegated-tokens';
import { testConnection } from '../../../src/graph/diagnose';
import { GraphError } from '../../../src/graph/errors';
import { createHttpStack, HttpStack } from '../../../src/graph/http';
import { SignIns, SignInProgress } from '../../../src/graph/sign-in';
import { SignInError, SignInRequiredError } from '../../../src/graph/sign-in-errors';
import { TokenStore } from '../../../src/graph/token-store';
import { DEFAULT_APP, startSimulator, Simulator } from '../../simulator';
import { approveDeviceCode, signInThroughPages } from '../../simulator/signin-helpers';
import { rejection } from '../../support/rejection';
import { simAccountProperties } from '../../support/sim-connection';

const USER = 'user@contoso.example';
const BOSS = 'boss@contoso.example';
const REDIRECT = 'http://127.0.0.1:1880/o365-config/delegated/callback';
const ID = 'a1b2c3d4e5f60718';
const PERMISSIONS = ['offline_access', 'Mail.ReadWrite', 'Mail.Send'];

async function waitFor(what: string, predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('delegated sign-in (graph layer)', function () {
  this.timeout(30_000);
  let sim: Simulator;
  let dir: string;
  let store: TokenStore;
  let http: HttpStack;
  let signIns: SignIns;
  const signedIn: string[] = [];
  const progress: SignInProgress[] = [];

  const settings = (extra: AccountSettings = {}): AccountSettings => ({
    ...simAccountProperties(sim),
    authType: 'delegated',
    ...extra,
  });
  const connect = (extra: AccountSettings = {}) =>
    new Connection(settings(extra), { signIn: { store, id: ID }, retry: { maxAttempts: 2, baseDelayMs: 5 } });

  async function browserSignIn(user = USER, permissions = PERMISSIONS, extra: AccountSettings = {}) {
    const { authorizeUrl } = await signIns.startBrowser({
      id: ID,
      settings: settings(extra),
      permissions,
      redirectUri: REDIRECT,
    });
    const outcome = await signInThroughPages(sim, authorizeUrl, { user });
    assert.ok(outcome.location, `redirected back (${outcome.errorCode ?? outcome.status})`);
    const query = Object.fromEntries(new URL(outcome.location).searchParams);
    return signIns.finishBrowser(query);
  }

  before(async () => {
    sim = await startSimulator({ mailboxes: [USER, BOSS], deviceCodeIntervalSec: 1 });
    sim.addRedirectUri(DEFAULT_APP.clientId, REDIRECT);
    sim.setPublicClientFlows(DEFAULT_APP.clientId, true);
  });
  after(() => sim.stop());
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'o365-delegated-'));
    store = new TokenStore({ directory: dir, secrets: ['test-credential-secret'] });
    http = createHttpStack({ timeoutMs: 10_000 });
    signedIn.length = 0;
    progress.length = 0;
    signIns = new SignIns({
      store,
      http,
      onSignedIn: (id) => void signedIn.push(id),
      onProgress: (_id, p) => progress.push(p),
      slowDownStepMs: 200,
    });
  });
  afterEach(() => {
    signIns.close();
    http.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
    sim.clearFaults();
    sim.setStrictRefreshRotation(false);
    assert.deepEqual(sim.schemaViolations, []);
  });

  describe('signing in', () => {
    it('signs in through the browser with PKCE and state, stores it encrypted and announces it', async () => {
      const result = await browserSignIn();
      assert.equal(result.error, undefined);
      assert.equal(result.user?.username, USER);
      assert.deepEqual(signedIn, [ID]);
      const stored = fs.readFileSync(path.join(dir, `${ID}.json`), 'utf8');
      assert.ok(!/refresh|secret|1\.A/i.test(stored), 'nothing readable at rest');
      const done = signIns.progress(ID);
      assert.equal(done.status, 'signed-in');
      assert.deepEqual(done.status === 'signed-in' && done.permissions, ['Mail.ReadWrite', 'Mail.Send']);
      const connection = connect();
      try {
        await connection.mailbox('me').probe();
        assert.equal((await connection.delegated?.load())?.status, 'signed-in');
      } finally {
        connection.close();
      }
    });

    it('asks for PKCE S256, a random state and the permissions the nodes need', async () => {
      const { authorizeUrl } = await signIns.startBrowser({
        id: ID,
        settings: settings(),
        permissions: PERMISSIONS,
        redirectUri: REDIRECT,
      });
      const query = new URL(authorizeUrl).searchParams;
      assert.equal(query.get('code_challenge_method'), 'S256');
      assert.equal(query.get('code_challenge')?.length, 43);
      assert.ok((query.get('state') ?? '').length >= 40);
      assert.equal(query.get('redirect_uri'), REDIRECT);
      assert.deepEqual((query.get('scope') ?? '').split(' ').sort(), [
        `${sim.url}/Mail.ReadWrite`,
        `${sim.url}/Mail.Send`,
        'offline_access',
        'openid',
        'profile',
      ]);
    });

    it('refuses an answer with a state it did not hand out, and never redeems its code', async () => {
      const { authorizeUrl } = await signIns.startBrowser({
        id: ID,
        settings: settings(),
        permissions: PERMISSIONS,
        redirectUri: REDIRECT,
      });
      const outcome = await signInThroughPages(sim, authorizeUrl, { user: USER });
      const query = Object.fromEntries(new URL(outcome.location ?? '').searchParams);
      sim.resetCounters();
      const forged = await signIns.finishBrowser({ ...query, state: 'forged-state' });
      assert.ok(forged.error instanceof SignInError);
      assert.equal(forged.error.why, 'state-unknown');
      assert.equal(sim.counters.tokenRequests, 0);
      assert.equal((await signIns.finishBrowser(query)).user?.username, USER, 'the real answer still works');
      const replay = await signIns.finishBrowser(query);
      assert.equal(replay.error?.why, 'state-unknown', 'a state is used once');
    });

    it('explains a declined consent, an http redirect URI that is not localhost and an expired sign-in', async () => {
      const fresh = await startSimulator({ mailboxes: [USER] });
      try {
        fresh.addRedirectUri(DEFAULT_APP.clientId, REDIRECT);
        const { authorizeUrl } = await signIns.startBrowser({
          id: ID,
          settings: {
            ...settings(),
            authorityHost: fresh.url,
            graphEndpoint: fresh.url,
            tenantId: fresh.tenantId,
          },
          permissions: PERMISSIONS,
          redirectUri: REDIRECT,
        });
        const outcome = await signInThroughPages(fresh, authorizeUrl, { user: USER, consent: 'cancel' });
        const declined = await signIns.finishBrowser(
          Object.fromEntries(new URL(outcome.location ?? '').searchParams),
        );
        assert.equal(declined.error?.why, 'declined');
        assert.match(declined.error?.message ?? '', /declined.*AADSTS65004/);
      } finally {
        await fresh.stop();
      }
      const insecure = await rejection(
        signIns.startBrowser({
          id: ID,
          settings: settings(),
          permissions: PERMISSIONS,
          redirectUri: 'http://192.168.1.5:1880/x',
        }),
      );
      assert.equal((insecure as SignInError).why, 'redirect-insecure');
      const short = new SignIns({ store, http, browserLifetimeMs: 50 });
      await short.startBrowser({
        id: ID,
        settings: settings(),
        permissions: PERMISSIONS,
        redirectUri: REDIRECT,
      });
      await waitFor('expiry', () => short.progress(ID).status === 'failed');
      const expired = short.progress(ID);
      assert.equal(expired.status === 'failed' && expired.error.why, 'expired');
    });

    it("shows Entra's AADSTS50011 page for an unregistered redirect URI and never reaches the app", async () => {
      const { authorizeUrl } = await signIns.startBrowser({
        id: ID,
        settings: settings(),
        permissions: PERMISSIONS,
        redirectUri: 'https://nodered.example/o365-config/delegated/callback',
      });
      const outcome = await signInThroughPages(sim, authorizeUrl, { user: USER });
      assert.equal(outcome.errorCode, 'AADSTS50011');
      assert.equal(outcome.location, undefined);
      assert.equal(signIns.progress(ID).status, 'waiting-for-browser');
      signIns.cancel(ID);
      const cancelled = signIns.progress(ID);
      assert.equal(cancelled.status === 'failed' && cancelled.error.why, 'cancelled');
    });

    it("signs in with a device code, handing Entra's code to the dialog and polling until the user approves", async () => {
      const started = await signIns.startDevice({ id: ID, settings: settings(), permissions: PERMISSIONS });
      assert.equal(started.verificationUri, `${sim.url}/devicelogin`);
      assert.equal(signIns.progress(ID).status, 'waiting-for-code');
      await approveDeviceCode(sim, started.userCode, { user: USER });
      await waitFor('the device sign-in', () => signedIn.length === 1);
      const connection = connect();
      try {
        await connection.mailbox('me').probe();
      } finally {
        connection.close();
      }
    });

    it('says when Conditional Access blocks the device code flow, and when the user declines', async () => {
      sim.blockDeviceCodeFlow(true);
      try {
        const started = await signIns.startDevice({ id: ID, settings: settings(), permissions: PERMISSIONS });
        await approveDeviceCode(sim, started.userCode, { user: USER });
        await waitFor('the failure', () => signIns.progress(ID).status === 'failed');
        const blocked = signIns.progress(ID);
        assert.equal(blocked.status === 'failed' && blocked.error.why, 'blocked');
        assert.match(
          blocked.status === 'failed' ? blocked.error.message : '',
          /Conditional Access.*browser.*AADSTS53003/,
        );
      } finally {
        sim.blockDeviceCodeFlow(false);
      }
      sim.revokeConsent(USER, DEFAULT_APP.clientId);
      const started = await signIns.startDevice({ id: ID, settings: settings(), permissions: PERMISSIONS });
      await approveDeviceCode(sim, started.userCode, { user: USER, consent: 'cancel' });
      await waitFor('the failure', () => signIns.progress(ID).status === 'failed');
      const declined = signIns.progress(ID);
      assert.equal(declined.status === 'failed' && declined.error.why, 'declined');
      assert.deepEqual(signedIn, []);
    });

    it('waits 5 s longer after each slow_down, as RFC 8628 asks', async function () {
      this.timeout(30_000);
      const patient = new SignIns({ store, http, onSignedIn: (id) => void signedIn.push(id) });
      try {
        sim.slowDownNext(1);
        const started = await patient.startDevice({ id: ID, settings: settings(), permissions: PERMISSIONS });
        await new Promise((r) => setTimeout(r, 1500));
        await approveDeviceCode(sim, started.userCode, { user: USER });
        const polls = () =>
          sim.requests
            .filter((r) => r.operation === 'token' && r.rawPath.endsWith('/token'))
            .map((r) => r.at.getTime());
        const before = polls().length;
        await waitFor('the device sign-in', () => signedIn.length === 1, 15_000);
        const after = polls();
        assert.ok(after.length > before);
        const gap = after[before] - after[before - 1];
        assert.ok(gap >= 5500, `the poll after slow_down waited ${gap} ms`);
      } finally {
        patient.close();
      }
    });

    it('stops polling at once when cancelled', async () => {
      await signIns.startDevice({ id: ID, settings: settings(), permissions: PERMISSIONS });
      signIns.cancel(ID);
      const before = sim.counters.tokenRequests;
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(sim.counters.tokenRequests, before);
      const cancelled = signIns.progress(ID);
      assert.equal(cancelled.status === 'failed' && cancelled.error.why, 'cancelled');
    });

    it('refuses the device code for a web app with a secret (a public client is needed)', async () => {
      const err = await rejection(
        signIns.startDevice({ id: ID, settings: settings({ clientSecret: 'x' }), permissions: PERMISSIONS }),
      );
      assert.equal((err as SignInError).why, 'public-client-flows');
    });
  });

  describe('staying signed in', () => {
    it('survives a restart without a new sign-in and always keeps the newest refresh token', async () => {
      await browserSignIn();
      sim.setStrictRefreshRotation(true);
      for (let restart = 0; restart < 3; restart++) {
        const connection = connect();
        try {
          await connection.tokens.getToken({ forceRefresh: true });
          await connection.tokens.getToken({ forceRefresh: true });
          await connection.mailbox('me').probe();
        } finally {
          connection.close();
        }
      }
      const uses = sim.refreshTokenUses.slice(-6);
      assert.equal(uses.length, 6);
      assert.ok(
        uses.every((u) => u.newest && u.outcome === 'ok'),
        JSON.stringify(uses),
      );
    });

    it('turns "sign in again" with the reason when Entra revokes the grant, asks nothing more, and resumes after a new sign-in', async () => {
      await browserSignIn();
      const connection = connect();
      const states: SignInState[] = [];
      connection.delegated?.onChange((s) => states.push(s));
      try {
        await connection.mailbox('me').probe();
        sim.revokeSignInSessions(USER);
        const err = await rejection(connection.tokens.getToken({ forceRefresh: true }));
        assert.ok(err instanceof SignInRequiredError);
        assert.equal(err.why, 'revoked');
        assert.equal(err.code, 'AADSTS50173');
        assert.equal(err.reason, 'sign-in-required');
        assert.equal(states.at(-1)?.status, 'sign-in-required');
        const before = sim.counters.tokenRequests;
        for (let i = 0; i < 5; i++) await rejection(connection.mailbox('me').probe());
        assert.equal(sim.counters.tokenRequests, before, 'no request while signed out');
        // A restart remembers it without asking Entra.
        const restarted = connect();
        try {
          const state = await restarted.delegated?.load();
          assert.equal(state?.status === 'sign-in-required' && state.error.why, 'revoked');
          assert.equal(sim.counters.tokenRequests, before);
        } finally {
          restarted.close();
        }
        await browserSignIn();
        await connection.delegated?.reload();
        assert.equal(states.at(-1)?.status, 'signed-in');
        await connection.mailbox('me').probe();
      } finally {
        connection.close();
      }
    });

    it('names the reason for each way a refresh token stops working', async () => {
      const cases: [string, (s: Simulator) => void, string][] = [
        ['consent withdrawn', (s) => s.revokeConsent(USER, DEFAULT_APP.clientId), 'consent-revoked'],
        [
          'permission withdrawn',
          (s) => s.revokeConsent(USER, DEFAULT_APP.clientId, ['Mail.Send']),
          'permission-withdrawn',
        ],
        ['90 days unused', (s) => s.expireRefreshTokensByInactivity(USER), 'inactive'],
        ['password reset', (s) => s.resetPassword(USER), 'revoked'],
        ['MFA', (s) => s.requireMfa(USER), 'mfa'],
        ['not assigned', (s) => s.assignUsers(DEFAULT_APP.clientId, [BOSS]), 'not-assigned'],
      ];
      for (const [what, change, why] of cases) {
        const fresh = await startSimulator({ mailboxes: [USER, BOSS] });
        const freshSignIns = new SignIns({ store, http });
        try {
          fresh.addRedirectUri(DEFAULT_APP.clientId, REDIRECT);
          const at = { authorityHost: fresh.url, graphEndpoint: fresh.url, tenantId: fresh.tenantId };
          const { authorizeUrl } = await freshSignIns.startBrowser({
            id: ID,
            settings: settings(at),
            permissions: PERMISSIONS,
            redirectUri: REDIRECT,
          });
          const outcome = await signInThroughPages(fresh, authorizeUrl, { user: USER });
          await freshSignIns.finishBrowser(Object.fromEntries(new URL(outcome.location ?? '').searchParams));
          change(fresh);
          const connection = connect(at);
          try {
            const err = await rejection(connection.tokens.getToken({ forceRefresh: true }));
            assert.equal(err instanceof SignInRequiredError && err.why, why, what);
          } finally {
            connection.close();
          }
        } finally {
          freshSignIns.close();
          await fresh.stop();
        }
      }
    });

    it('is "not signed in" before any sign-in, "settings changed" for another app, "signed out" after sign-out', async () => {
      const never = connect();
      try {
        const err = await rejection(never.mailbox('me').probe());
        assert.equal(err instanceof SignInRequiredError && err.why, 'not-signed-in');
      } finally {
        never.close();
      }
      await browserSignIn();
      const other = connect({ applicationId: '11111111-2222-4333-8444-555555555555' });
      try {
        const state = await other.delegated?.load();
        assert.equal(state?.status === 'sign-in-required' && state.error.why, 'settings-changed');
      } finally {
        other.close();
      }
      const connection = connect();
      try {
        await connection.delegated?.signOut();
        assert.ok(!fs.existsSync(path.join(dir, `${ID}.json`)));
        const err = await rejection(connection.mailbox('me').probe());
        assert.equal(err instanceof SignInRequiredError && err.why, 'signed-out');
      } finally {
        connection.close();
      }
    });

    it('says the stored sign-in cannot be read when the credentialSecret changed', async () => {
      await browserSignIn();
      const tokens = new DelegatedTokens(
        connect().account,
        http,
        new TokenStore({ directory: dir, secrets: ['another-secret'] }),
        ID,
      );
      const state = await tokens.load();
      assert.equal(state.status === 'sign-in-required' && state.error.why, 'store-unreadable');
    });
  });

  describe('permissions', () => {
    it("derives what the nodes need, with .Shared only for another user's mailbox and never for personal accounts", () => {
      const names = (uses: Parameters<typeof neededPermissions>[0], personal = false) =>
        neededPermissions(uses, { personal }).map((n) => n.permission);
      assert.deepEqual(names([]), ['offline_access', 'Mail.ReadWrite', 'Mail.Send']);
      assert.deepEqual(names([{ node: 'mail-in', mailbox: 'me', readOnly: true }]), [
        'offline_access',
        'Mail.Read',
      ]);
      assert.deepEqual(names([{ node: 'mail-in', mailbox: 'me' }]), ['offline_access', 'Mail.ReadWrite']);
      assert.deepEqual(names([{ node: 'mail-out', mailbox: '' }]), [
        'offline_access',
        'Mail.ReadWrite',
        'Mail.Send',
      ]);
      assert.deepEqual(
        names([
          { node: 'mail-in', mailbox: BOSS },
          { node: 'mail-out', mailbox: BOSS },
        ]),
        ['offline_access', 'Mail.ReadWrite', 'Mail.Send', 'Mail.ReadWrite.Shared', 'Mail.Send.Shared'],
      );
      assert.deepEqual(names([{ node: 'mail-in', mailbox: BOSS }], true), [
        'offline_access',
        'Mail.ReadWrite',
      ]);
    });

    it('names the permission a sign-in lacks for another mailbox, and the missing sharing once it has it', async () => {
      await browserSignIn();
      const connection = connect();
      try {
        const lacking = await rejection(connection.mailbox(BOSS).probe());
        assert.ok(lacking instanceof GraphError);
        assert.equal(lacking.permission, 'Mail.Read.Shared');
        assert.match(lacking.message, /lacks Mail\.Read\.Shared.*sign in again/);
      } finally {
        connection.close();
      }
      await browserSignIn(USER, [...PERMISSIONS, 'Mail.ReadWrite.Shared']);
      const shared = connect();
      try {
        const unshared = await rejection(shared.mailbox(BOSS).probe());
        assert.match(
          unshared.message,
          /has no access to mailbox boss@contoso\.example: its owner must share it/,
        );
        sim.grantMailboxAccess(BOSS, USER, ['read']);
        await shared.mailbox(BOSS).probe();
      } finally {
        shared.close();
      }
    });

    it('Test connection reports who is signed in, the permissions against the needs, and the own mailbox', async () => {
      sim.revokeConsent(USER, DEFAULT_APP.clientId);
      const notSignedIn = await testConnection(settings(), undefined, { signIn: { store, id: ID } });
      assert.equal(notSignedIn.token.ok, false);
      assert.equal(!notSignedIn.token.ok && notSignedIn.token.code, 'SignInRequired');
      await browserSignIn();
      const report = await testConnection(settings(), undefined, { signIn: { store, id: ID } }, [
        { node: 'mail-in', mailbox: 'me' },
        { node: 'mail-out', mailbox: BOSS },
      ]);
      assert.equal(report.token.ok, true);
      assert.equal(report.delegated?.user?.username, USER);
      assert.deepEqual(report.delegated?.permissions, ['Mail.ReadWrite', 'Mail.Send']);
      assert.deepEqual(
        report.delegated?.needs.filter((n) => !n.granted).map((n) => n.permission),
        ['Mail.ReadWrite.Shared', 'Mail.Send.Shared'],
      );
      assert.deepEqual(report.mailbox, { address: 'me', ok: true });
    });
  });
});
