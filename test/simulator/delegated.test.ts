/**
 * The simulator's delegated sign-in: authorization code with PKCE through the sign-in pages, the device code flow,
 * refresh tokens (rotation, revocation, expiry), delegated tokens with scp, and /me in Graph.
 */
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { DEFAULT_APP, MSA_TENANT_ID, startSimulator, type Simulator } from './index';
import { approveDeviceCode, signInThroughPages } from './signin-helpers';
import { errorCode, graphClient, rawClient, requestToken, secretForm } from './test-helpers';

const USER = 'user@contoso.example';
const BOSS = 'boss@contoso.example';
const PERSONAL = 'someone@outlook.example';
const REDIRECT = 'http://127.0.0.1:1880/o365-config/delegated/callback';
const WEB_REDIRECT = 'https://nodered.contoso.example/o365-config/delegated/callback';
const CLIENT = DEFAULT_APP.clientId;
const SECRET = DEFAULT_APP.secrets?.[0].value ?? '';

function pkce(): { verifier: string; challenge: string } {
  const verifier = crypto.randomBytes(32).toString('base64url');
  return { verifier, challenge: crypto.createHash('sha256').update(verifier).digest('base64url') };
}

interface Tokens {
  access_token: string;
  refresh_token: string;
  id_token: string;
  scope: string;
  client_info?: string;
}

function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('simulator: delegated sign-in', function () {
  this.timeout(20_000);
  let sim: Simulator;

  const scopes = (s: Simulator, ...names: string[]) =>
    [...names.map((n) => `${s.url}/${n}`), 'openid', 'profile', 'offline_access'].join(' ');

  function authorizeUrl(
    s: Simulator,
    options: { tenant?: string; redirect?: string; state?: string; challenge?: string; scope?: string } = {},
  ): string {
    const query = new URLSearchParams({
      client_id: CLIENT,
      response_type: 'code',
      redirect_uri: options.redirect ?? REDIRECT,
      response_mode: 'query',
      scope: options.scope ?? scopes(s, 'Mail.ReadWrite', 'Mail.Send'),
      state: options.state ?? 'state-1',
      ...(options.challenge ? { code_challenge: options.challenge, code_challenge_method: 'S256' } : {}),
    });
    return `${s.url}/${options.tenant ?? s.tenantId}/oauth2/v2.0/authorize?${query.toString()}`;
  }

  /** Signs USER in through the pages and redeems the code; resolves the token answer. */
  async function signIn(
    s: Simulator,
    user = USER,
    options: { tenant?: string; scope?: string } = {},
  ): Promise<Tokens> {
    const { verifier, challenge } = pkce();
    const outcome = await signInThroughPages(s, authorizeUrl(s, { ...options, challenge }), { user });
    assert.ok(outcome.location, `redirected (got ${outcome.errorCode ?? outcome.status})`);
    const code = new URL(outcome.location).searchParams.get('code') ?? '';
    const res = await requestToken(
      s,
      {
        client_id: CLIENT,
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT,
        code_verifier: verifier,
        scope: options.scope ?? scopes(s, 'Mail.ReadWrite', 'Mail.Send'),
        client_info: '1',
      },
      options.tenant,
    );
    assert.equal(res.status, 200, JSON.stringify(res.data));
    return res.data as Tokens;
  }

  const refresh = (s: Simulator, refreshToken: string, extra: Record<string, string> = {}) =>
    requestToken(s, {
      client_id: CLIENT,
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      scope: scopes(s, 'Mail.ReadWrite', 'Mail.Send'),
      ...extra,
    });

  const aadsts = (data: unknown) => (data as { error_codes?: number[] }).error_codes?.[0];

  before(async () => {
    sim = await startSimulator({ mailboxes: [USER, BOSS], deviceCodeIntervalSec: 1 });
    sim.addMailbox(PERSONAL, { personal: true });
    sim.addRedirectUri(CLIENT, REDIRECT, 'publicClient');
    sim.addRedirectUri(CLIENT, WEB_REDIRECT, 'web');
    sim.setPublicClientFlows(CLIENT, true);
    sim.setSignInAudience(CLIENT, 'AzureADandPersonalMicrosoftAccount');
  });
  after(() => sim.stop());
  afterEach(() => {
    assert.deepEqual(sim.schemaViolations, []);
  });

  describe('authorization code with PKCE', () => {
    it('signs in through the pages, redirects with code and state, and redeems the code once', async () => {
      const { verifier, challenge } = pkce();
      const outcome = await signInThroughPages(sim, authorizeUrl(sim, { challenge, state: 'xyz' }), {
        user: USER,
      });
      const back = new URL(outcome.location ?? '');
      assert.equal(`${back.origin}${back.pathname}`, REDIRECT);
      assert.equal(back.searchParams.get('state'), 'xyz');
      const code = back.searchParams.get('code') ?? '';
      const form = {
        client_id: CLIENT,
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT,
        code_verifier: verifier,
        client_info: '1',
      };
      const res = await requestToken(sim, form);
      assert.equal(res.status, 200);
      const tokens = res.data as Tokens;
      const at = claimsOf(tokens.access_token);
      assert.equal(at.scp, 'Mail.ReadWrite Mail.Send');
      assert.equal(at.idtyp, 'user');
      assert.equal(at.upn, USER);
      assert.match(tokens.scope, /Mail\.ReadWrite/);
      assert.ok(tokens.refresh_token);
      const id = claimsOf(tokens.id_token);
      assert.equal(id.aud, CLIENT);
      assert.equal(id.preferred_username, USER);
      assert.deepEqual(JSON.parse(Buffer.from(tokens.client_info ?? '', 'base64url').toString()), {
        uid: sim.userId(USER),
        utid: sim.tenantId,
      });
      const again = await requestToken(sim, form);
      assert.equal(aadsts(again.data), 54005);
    });

    it('refuses a code_verifier that does not match the challenge (AADSTS501481)', async () => {
      const { challenge } = pkce();
      const outcome = await signInThroughPages(sim, authorizeUrl(sim, { challenge }), { user: USER });
      const code = new URL(outcome.location ?? '').searchParams.get('code') ?? '';
      const res = await requestToken(sim, {
        client_id: CLIENT,
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT,
        code_verifier: pkce().verifier,
      });
      assert.equal(res.status, 400);
      assert.equal((res.data as { error: string }).error, 'invalid_grant');
      assert.equal(aadsts(res.data), 501481);
    });

    it('answers an expired code with AADSTS70008', async () => {
      const { verifier, challenge } = pkce();
      const outcome = await signInThroughPages(sim, authorizeUrl(sim, { challenge }), { user: USER });
      sim.expireAuthorizationCodes();
      const res = await requestToken(sim, {
        client_id: CLIENT,
        grant_type: 'authorization_code',
        code: new URL(outcome.location ?? '').searchParams.get('code') ?? '',
        redirect_uri: REDIRECT,
        code_verifier: verifier,
      });
      assert.equal(aadsts(res.data), 70008);
    });

    it('shows an unregistered redirect URI on an error page and never redirects to it (AADSTS50011)', async () => {
      const outcome = await signInThroughPages(
        sim,
        authorizeUrl(sim, { redirect: 'https://evil.example/callback' }),
        { user: USER },
      );
      assert.equal(outcome.location, undefined);
      assert.equal(outcome.errorCode, 'AADSTS50011');
    });

    it('ignores the port of a loopback redirect URI (RFC 8252), as Entra does', async () => {
      const outcome = await signInThroughPages(
        sim,
        authorizeUrl(sim, { redirect: 'http://127.0.0.1:41234/o365-config/delegated/callback' }),
        { user: USER },
      );
      assert.match(outcome.location ?? '', /^http:\/\/127\.0\.0\.1:41234\/.*code=/);
    });

    it('sends a declined consent back as access_denied with AADSTS65004 and the state', async () => {
      const fresh = await startSimulator({ mailboxes: [USER] });
      try {
        fresh.addRedirectUri(CLIENT, REDIRECT);
        const outcome = await signInThroughPages(fresh, authorizeUrl(fresh, { state: 's-9' }), {
          user: USER,
          consent: 'cancel',
        });
        const back = new URL(outcome.location ?? '');
        assert.equal(back.searchParams.get('error'), 'access_denied');
        assert.match(back.searchParams.get('error_description') ?? '', /^AADSTS65004:/);
        assert.equal(back.searchParams.get('state'), 's-9');
      } finally {
        await fresh.stop();
      }
    });

    it('asks an admin when users may not consent (AADSTS90094)', async () => {
      const fresh = await startSimulator({ mailboxes: [USER] });
      try {
        fresh.addRedirectUri(CLIENT, REDIRECT);
        fresh.setUserConsent(false);
        const outcome = await signInThroughPages(fresh, authorizeUrl(fresh), { user: USER });
        assert.match(
          new URL(outcome.location ?? '').searchParams.get('error_description') ?? '',
          /AADSTS90094/,
        );
      } finally {
        await fresh.stop();
      }
    });

    it('needs the secret for a web redirect URI and refuses one from a public client', async () => {
      const { verifier, challenge } = pkce();
      const web = await signInThroughPages(sim, authorizeUrl(sim, { redirect: WEB_REDIRECT, challenge }), {
        user: USER,
      });
      const code = new URL(web.location ?? '').searchParams.get('code') ?? '';
      const form = {
        client_id: CLIENT,
        grant_type: 'authorization_code',
        code,
        redirect_uri: WEB_REDIRECT,
        code_verifier: verifier,
      };
      assert.equal(aadsts((await requestToken(sim, form)).data), 7000218);
      assert.equal((await requestToken(sim, { ...form, client_secret: SECRET })).status, 200);
      const pub = await signInThroughPages(sim, authorizeUrl(sim), { user: USER });
      const res = await requestToken(sim, {
        client_id: CLIENT,
        grant_type: 'authorization_code',
        code: new URL(pub.location ?? '').searchParams.get('code') ?? '',
        redirect_uri: REDIRECT,
        client_secret: SECRET,
      });
      assert.equal(aadsts(res.data), 700025);
    });

    it('answers /common for a single-tenant app with AADSTS50194 and /consumers for a work-only app with 9002332', async () => {
      const fresh = await startSimulator({ mailboxes: [USER] });
      try {
        fresh.addRedirectUri(CLIENT, REDIRECT);
        assert.equal(
          (await signInThroughPages(fresh, authorizeUrl(fresh, { tenant: 'common' }), { user: USER }))
            .errorCode,
          'AADSTS50194',
        );
        fresh.setSignInAudience(CLIENT, 'AzureADMultipleOrgs');
        assert.equal(
          (await signInThroughPages(fresh, authorizeUrl(fresh, { tenant: 'consumers' }), { user: USER }))
            .errorCode,
          'AADSTS9002332',
        );
      } finally {
        await fresh.stop();
      }
    });
  });

  describe('personal accounts', () => {
    it('signs an Outlook.com account in at /consumers with an opaque Graph token that /me accepts', async () => {
      const tokens = await signIn(sim, PERSONAL, { tenant: 'consumers' });
      assert.equal(tokens.access_token.split('.').length, 1, 'not a JWT');
      assert.equal(claimsOf(tokens.id_token).tid, MSA_TENANT_ID);
      const http = rawClient(sim);
      const res = await http.get('/v1.0/me/mailFolders/inbox/messages', {
        headers: { Authorization: `Bearer ${tokens.access_token}` },
      });
      assert.equal(res.status, 200);
    });

    it('refuses a work account at /consumers and the .Shared permissions for a personal one', async () => {
      const work = await signInThroughPages(sim, authorizeUrl(sim, { tenant: 'consumers' }), { user: USER });
      assert.equal(work.errorCode, 'AADSTS500208');
      const shared = await signInThroughPages(
        sim,
        authorizeUrl(sim, { tenant: 'consumers', scope: scopes(sim, 'Mail.ReadWrite.Shared') }),
        { user: PERSONAL },
      );
      assert.equal(new URL(shared.location ?? '').searchParams.get('error'), 'invalid_scope');
    });
  });

  describe('device code', () => {
    const start = async (s: Simulator) => {
      const res = await rawClient(s).post(
        `/${s.tenantId}/oauth2/v2.0/devicecode`,
        new URLSearchParams({ client_id: CLIENT, scope: scopes(s, 'Mail.ReadWrite') }).toString(),
        { headers: { 'Content-Type': 'application/x-www-form-urlencoded' } },
      );
      assert.equal(res.status, 200);
      return res.data as {
        device_code: string;
        user_code: string;
        verification_uri: string;
        interval: number;
      };
    };
    const poll = (s: Simulator, deviceCode: string) =>
      requestToken(s, {
        client_id: CLIENT,
        grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
        device_code: deviceCode,
      });
    const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

    it('answers authorization_pending until the user approves on the device page, then the tokens', async () => {
      const device = await start(sim);
      assert.equal(device.verification_uri, `${sim.url}/devicelogin`);
      const pending = await poll(sim, device.device_code);
      assert.equal((pending.data as { error: string }).error, 'authorization_pending');
      const page = await approveDeviceCode(sim, device.user_code, { user: USER });
      assert.match(page.page ?? '', /You have signed in/);
      await pause(1000);
      const done = await poll(sim, device.device_code);
      assert.equal(done.status, 200, JSON.stringify(done.data));
      assert.ok((done.data as Tokens).refresh_token);
    });

    it('answers slow_down (adding 5 s to the interval), authorization_declined, expired_token and bad_verification_code', async () => {
      const device = await start(sim);
      sim.slowDownNext(1);
      assert.equal(((await poll(sim, device.device_code)).data as { error: string }).error, 'slow_down');
      await approveDeviceCode(sim, device.user_code, { user: USER, consent: 'cancel' }).catch(
        () => undefined,
      );
      const fresh = await startSimulator({
        mailboxes: [USER],
        deviceCodeIntervalSec: 1,
        deviceCodeLifetimeSec: 1,
      });
      try {
        fresh.setPublicClientFlows(CLIENT, true);
        const declined = await start(fresh);
        await approveDeviceCode(fresh, declined.user_code, { user: USER, consent: 'cancel' });
        assert.equal(
          ((await poll(fresh, declined.device_code)).data as { error: string }).error,
          'authorization_declined',
        );
        const expired = await start(fresh);
        await pause(1100);
        assert.equal(
          ((await poll(fresh, expired.device_code)).data as { error: string }).error,
          'expired_token',
        );
        assert.equal(
          ((await poll(fresh, 'nonsense')).data as { error: string }).error,
          'bad_verification_code',
        );
      } finally {
        await fresh.stop();
      }
    });

    it('blocks the device code flow under Conditional Access with AADSTS53003', async () => {
      sim.blockDeviceCodeFlow(true);
      try {
        const device = await start(sim);
        const page = await approveDeviceCode(sim, device.user_code, { user: USER });
        assert.match(page.page ?? '', /AADSTS53003/);
        await pause(1000);
        const res = await poll(sim, device.device_code);
        assert.equal((res.data as { error: string }).error, 'invalid_grant');
        assert.equal(aadsts(res.data), 53003);
      } finally {
        sim.blockDeviceCodeFlow(false);
      }
    });

    it('needs "Allow public client flows" (AADSTS7000218)', async () => {
      sim.setPublicClientFlows(CLIENT, false);
      try {
        const device = await start(sim);
        assert.equal(aadsts((await poll(sim, device.device_code)).data), 7000218);
      } finally {
        sim.setPublicClientFlows(CLIENT, true);
      }
    });
  });

  describe('refresh tokens', () => {
    it('rotate at each use; the old one stays valid, as Entra keeps it (unless strict rotation is on)', async () => {
      const tokens = await signIn(sim);
      const first = await refresh(sim, tokens.refresh_token);
      assert.equal(first.status, 200);
      const next = (first.data as Tokens).refresh_token;
      assert.notEqual(next, tokens.refresh_token);
      assert.equal((await refresh(sim, tokens.refresh_token)).status, 200);
      const uses = sim.refreshTokenUses.slice(-2);
      assert.deepEqual(
        uses.map((u) => u.newest),
        [true, false],
      );
      sim.setStrictRefreshRotation(true);
      try {
        assert.equal(aadsts((await refresh(sim, tokens.refresh_token)).data), 70000);
        assert.equal((await refresh(sim, next)).status, 200);
      } finally {
        sim.setStrictRefreshRotation(false);
      }
    });

    it('answer revoked sessions and password resets with AADSTS50173 (web-app tokens survive a password reset)', async () => {
      const fresh = await startSimulator({ mailboxes: [USER] });
      try {
        fresh.addRedirectUri(CLIENT, REDIRECT);
        fresh.addRedirectUri(CLIENT, WEB_REDIRECT, 'web');
        const pub = await signIn(fresh);
        const { verifier, challenge } = pkce();
        const web = await signInThroughPages(
          fresh,
          authorizeUrl(fresh, { redirect: WEB_REDIRECT, challenge }),
          {
            user: USER,
          },
        );
        const webTokens = (
          await requestToken(fresh, {
            client_id: CLIENT,
            client_secret: SECRET,
            grant_type: 'authorization_code',
            code: new URL(web.location ?? '').searchParams.get('code') ?? '',
            redirect_uri: WEB_REDIRECT,
            code_verifier: verifier,
          })
        ).data as Tokens;
        fresh.resetPassword(USER);
        const reset = await refresh(fresh, pub.refresh_token);
        assert.equal(aadsts(reset.data), 50173);
        assert.equal((reset.data as { error: string }).error, 'invalid_grant');
        const webAfterReset = await refresh(fresh, webTokens.refresh_token, { client_secret: SECRET });
        assert.equal(webAfterReset.status, 200);
        fresh.revokeSignInSessions(USER);
        const revoked = await refresh(fresh, (webAfterReset.data as Tokens).refresh_token, {
          client_secret: SECRET,
        });
        assert.equal(aadsts(revoked.data), 50173);
      } finally {
        await fresh.stop();
      }
    });

    it('answer withdrawn consent (65001), a withdrawn permission (70000), 90 days unused (700082), MFA (50076) and assignment (50105)', async () => {
      const cases: [string, (s: Simulator) => void, number][] = [
        ['consent', (s) => s.revokeConsent(USER, CLIENT), 65001],
        ['permission', (s) => s.revokeConsent(USER, CLIENT, ['Mail.Send']), 70000],
        ['inactivity', (s) => s.expireRefreshTokensByInactivity(USER), 700082],
        ['mfa', (s) => s.requireMfa(USER), 50076],
        ['assignment', (s) => s.assignUsers(CLIENT, [BOSS]), 50105],
      ];
      for (const [what, change, code] of cases) {
        const fresh = await startSimulator({ mailboxes: [USER, BOSS] });
        try {
          fresh.addRedirectUri(CLIENT, REDIRECT);
          const tokens = await signIn(fresh);
          change(fresh);
          const res = await refresh(fresh, tokens.refresh_token);
          assert.equal(aadsts(res.data), code, what);
        } finally {
          await fresh.stop();
        }
      }
      assert.equal(aadsts((await refresh(sim, 'not-a-token')).data), 9002313);
    });
  });

  describe('Graph with delegated tokens', () => {
    const client = (token: string) => {
      const http = rawClient(sim);
      http.defaults.baseURL = `${sim.url}/v1.0`;
      http.defaults.headers.common.Authorization = `Bearer ${token}`;
      return http;
    };

    it('maps /me to the signed-in user and keeps /me a 400 for app-only tokens', async () => {
      const tokens = await signIn(sim);
      sim.addMessage(USER, 'inbox', { subject: 'for me' });
      const me = await client(tokens.access_token).get('/me/mailFolders/inbox/messages');
      assert.equal(me.status, 200);
      assert.ok((me.data as { value: { subject: string }[] }).value.some((m) => m.subject === 'for me'));
      const appOnly = await graphClient(sim, secretForm(sim));
      const res = await appOnly.get('/me/messages');
      assert.equal(res.status, 400);
      assert.equal(errorCode(res), 'BadRequest');
    });

    it("needs the .Shared permission and the owner's delegation for another mailbox", async () => {
      const own = await signIn(sim);
      const other = `/users/${encodeURIComponent(BOSS)}/mailFolders/inbox/messages`;
      assert.equal((await client(own.access_token).get(other)).status, 403);
      const shared = await signIn(sim, USER, {
        scope: scopes(sim, 'Mail.ReadWrite.Shared', 'Mail.Send.Shared'),
      });
      assert.equal((await client(shared.access_token).get(other)).status, 403, 'no delegation yet');
      sim.grantMailboxAccess(BOSS, USER, ['readWrite']);
      assert.equal((await client(shared.access_token).get(other)).status, 200);
      const send = await client(shared.access_token).post(`/users/${encodeURIComponent(BOSS)}/sendMail`, {
        message: { subject: 'x', toRecipients: [{ emailAddress: { address: USER } }] },
      });
      assert.equal(send.status, 403, 'send needs Send As too');
    });

    it('checks the scp of the token: no Mail.Send, no send', async () => {
      const fresh = await startSimulator({ mailboxes: [USER] });
      try {
        fresh.addRedirectUri(CLIENT, REDIRECT);
        const tokens = await signIn(fresh, USER, { scope: scopes(fresh, 'Mail.Read') });
        const http = rawClient(fresh);
        const send = await http.post(
          '/v1.0/me/sendMail',
          { message: { subject: 'x', toRecipients: [{ emailAddress: { address: USER } }] } },
          { headers: { Authorization: `Bearer ${tokens.access_token}` } },
        );
        assert.equal(send.status, 403);
        assert.equal(errorCode(send), 'ErrorAccessDenied');
      } finally {
        await fresh.stop();
      }
    });
  });
});
