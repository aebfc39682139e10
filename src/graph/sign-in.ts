/**
 * Interactive sign-in of a delegated account, started from the config node's dialog:
 * - in the browser: the authorization code flow with PKCE (S256) and a random `state` that must come back, through a
 *   redirect URI the dialog shows; the answer is redeemed once, by msal-node;
 * - with a code: the device code flow (RFC 8628), polling Entra at the interval it asks (5 s more after `slow_down`)
 *   until the user signs in elsewhere, declines, Conditional Access blocks it, or the code expires.
 * A completed sign-in is stored encrypted (token store) under the config node's id and announced, so a running account
 * resumes without a redeploy. Every wait is bounded; `cancel` and `close` end every timer and poll.
 */
import * as crypto from 'crypto';
import { CryptoProvider, ICachePlugin, TokenCacheContext } from '@azure/msal-node';
import { Account, AccountSettings, normaliseAccount } from './account';
import { sleep } from './client';
import { grantedPermissions, scopesFor } from './delegated-permissions';
import { bindingOf, delegatedMsalApp, StoredSignIn, SignedInUser, userOf } from './delegated-tokens';
import { DeviceCodeErrors, OAuthErrors } from './error-codes';
import { messageOf, O365Error, tokenError } from './errors';
import { HttpStack, msalNetworkClient } from './http';
import { SignInError, signInFailure } from './sign-in-errors';
import { TokenStore } from './token-store';

/** What the dialog asks for. */
export interface SignInStart {
  /** The config node's id (names the stored sign-in). */
  id: string;
  /** The dialog's account settings (authType delegated). */
  settings: AccountSettings;
  /** Graph permissions the nodes need (see delegated-permissions.ts). */
  permissions: string[];
}

/** Where a sign-in of one account stands, for the dialog and the nodes' status. */
export type SignInProgress =
  | { status: 'idle' }
  | { status: 'waiting-for-browser'; redirectUri: string; expiresAt: string }
  | { status: 'waiting-for-code'; userCode: string; verificationUri: string; expiresAt: string }
  | { status: 'signed-in'; user: SignedInUser; permissions: string[]; at: string }
  | { status: 'failed'; error: { code: string; why: string; message: string }; at: string };

export interface SignInsOptions {
  store: TokenStore;
  http: HttpStack;
  /** Told after a sign-in was stored for an account; the sign-in completes once it has taken it up. */
  onSignedIn?: (id: string) => Promise<void> | void;
  /** Told whenever an account's progress changes (waiting for a code, failed...). */
  onProgress?: (id: string, progress: SignInProgress) => void;
  /** How long a browser sign-in may take (default 10 minutes, as long as Entra's codes live). */
  browserLifetimeMs?: number;
  /** How much `slow_down` adds to the device code interval (RFC 8628: 5 s). */
  slowDownStepMs?: number;
}

interface PendingBrowser {
  id: string;
  account: Account;
  verifier: string;
  redirectUri: string;
  permissions: string[];
  timer: NodeJS.Timeout;
}

/** At most this many browser sign-ins wait at once (each holds a PKCE verifier until it ends). */
const MAX_PENDING = 50;
/** Longest device code sign-in, whatever Entra says (its default is 15 minutes). */
const MAX_DEVICE_MS = 30 * 60 * 1000;

/** The interactive sign-ins of a Node-RED runtime. */
export class SignIns {
  private readonly pending = new Map<string, PendingBrowser>();
  private readonly devices = new Map<string, AbortController>();
  private readonly progressById = new Map<string, SignInProgress>();
  private readonly browserLifetimeMs: number;
  private readonly slowDownStepMs: number;

  constructor(private readonly options: SignInsOptions) {
    this.browserLifetimeMs = options.browserLifetimeMs ?? 10 * 60 * 1000;
    this.slowDownStepMs = options.slowDownStepMs ?? 5000;
  }

  /** Where the sign-in of an account stands. */
  progress(id: string): SignInProgress {
    return this.progressById.get(id) ?? { status: 'idle' };
  }

  /** Starts a browser sign-in; answers the URL to open. Throws a SignInError or ConfigError when it cannot start. */
  async startBrowser(start: SignInStart & { redirectUri: string }): Promise<{ authorizeUrl: string }> {
    const account = delegatedAccount(start.settings);
    checkRedirectUri(start.redirectUri);
    this.cancel(start.id);
    if (this.pending.size >= MAX_PENDING) this.expire(this.pending.keys().next().value as string);
    const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
    const state = crypto.randomBytes(32).toString('base64url');
    const app = delegatedMsalApp(account, msalNetworkClient(this.options.http), memoryCache().plugin);
    const authorizeUrl = await app.getAuthCodeUrl({
      scopes: scopesFor(graphOnly(start.permissions), account.graphEndpoint),
      redirectUri: start.redirectUri,
      codeChallenge: challenge,
      codeChallengeMethod: 'S256',
      state,
      prompt: 'select_account',
      responseMode: 'query',
    });
    const timer = setTimeout(() => this.expire(state), this.browserLifetimeMs);
    timer.unref();
    this.pending.set(state, {
      id: start.id,
      account,
      verifier,
      redirectUri: start.redirectUri,
      permissions: start.permissions,
      timer,
    });
    this.report(start.id, {
      status: 'waiting-for-browser',
      redirectUri: start.redirectUri,
      expiresAt: new Date(Date.now() + this.browserLifetimeMs).toISOString(),
    });
    return { authorizeUrl };
  }

  /**
   * Completes a browser sign-in from the redirect's query: the state must be one this runtime handed out (and is
   * used once); Entra's error or the redeemed code decides the outcome.
   */
  async finishBrowser(answer: {
    code?: string;
    state?: string;
    error?: string;
    error_description?: string;
    error_subcode?: string;
  }): Promise<{ id?: string; user?: SignedInUser; error?: SignInError }> {
    const pending = answer.state ? this.pending.get(answer.state) : undefined;
    if (!pending || !answer.state) return { error: new SignInError('state-unknown') };
    this.pending.delete(answer.state);
    clearTimeout(pending.timer);
    const { id } = pending;
    if (answer.error || !answer.code) {
      const error = signInFailure({
        error: answer.error ?? OAuthErrors.invalidRequest,
        errorDescription: answer.error_description,
        errorNo: aadstsOfRedirect(answer.error_description),
        subError: answer.error_subcode,
      });
      this.reportFailure(id, error);
      return { id, error };
    }
    const cache = memoryCache();
    const network = msalNetworkClient(this.options.http);
    const app = delegatedMsalApp(pending.account, network, cache.plugin);
    try {
      const result = await app.acquireTokenByCode(
        {
          code: answer.code,
          scopes: scopesFor(graphOnly(pending.permissions), pending.account.graphEndpoint),
          redirectUri: pending.redirectUri,
          codeVerifier: pending.verifier,
          state: answer.state,
        },
        { code: answer.code, state: answer.state },
      );
      if (!result?.account) throw new SignInError('failed', { hint: 'Entra answered without an account' });
      const user = await this.store(
        id,
        pending.account,
        userOf(result.account),
        result.scopes,
        cache.serialized(),
      );
      return { id, user };
    } catch (err) {
      const error = asSignInError(
        err,
        network.takeFailure((err as { correlationId?: string })?.correlationId),
      );
      this.reportFailure(id, error);
      return { id, error };
    }
  }

  /** Starts a device code sign-in and polls for it in the background; answers what the user must enter where. */
  async startDevice(
    start: SignInStart,
  ): Promise<{ userCode: string; verificationUri: string; expiresAt: string; message?: string }> {
    const account = delegatedAccount(start.settings);
    if (bindingOf(account).confidential) {
      throw new SignInError('public-client-flows', {
        hint: 'Signing in with a code needs a public client: clear the client secret and turn on "Allow public client flows" for the app',
      });
    }
    this.cancel(start.id);
    const base = `${account.authorityHost}/${account.tenantId}/oauth2/v2.0`;
    const scope = [
      ...scopesFor(graphOnly(start.permissions), account.graphEndpoint),
      'openid',
      'profile',
      'offline_access',
    ].join(' ');
    const answer = await this.post(`${base}/devicecode`, { client_id: account.applicationId, scope });
    if (answer.status !== 200) throw failureOf(answer.body);
    const device = answer.body as {
      device_code?: string;
      user_code?: string;
      verification_uri?: string;
      expires_in?: number;
      interval?: number;
      message?: string;
    };
    if (!device.device_code || !device.user_code || !device.verification_uri) {
      throw new SignInError('failed', { hint: 'Entra answered the device code request without a code' });
    }
    const lifetimeMs = Math.min(positive(device.expires_in, 900) * 1000, MAX_DEVICE_MS);
    const expiresAt = new Date(Date.now() + lifetimeMs).toISOString();
    const controller = new AbortController();
    this.devices.set(start.id, controller);
    this.report(start.id, {
      status: 'waiting-for-code',
      userCode: device.user_code,
      verificationUri: device.verification_uri,
      expiresAt,
    });
    void this.pollDevice(start.id, account, start.permissions, {
      deviceCode: device.device_code,
      intervalMs: positive(device.interval, 5) * 1000,
      deadline: Date.now() + lifetimeMs,
      signal: controller.signal,
      tokenUrl: `${base}/token`,
    });
    return {
      userCode: device.user_code,
      verificationUri: device.verification_uri,
      expiresAt,
      message: device.message,
    };
  }

  /** Ends a waiting sign-in of an account (browser or code); its progress says cancelled. */
  cancel(id: string): void {
    for (const [state, pending] of this.pending) if (pending.id === id) this.expire(state, 'cancelled');
    const device = this.devices.get(id);
    if (device) {
      this.devices.delete(id);
      device.abort(new SignInError('cancelled'));
      this.reportFailure(id, new SignInError('cancelled'));
    }
  }

  /** Ends every waiting sign-in and timer. */
  close(): void {
    for (const state of [...this.pending.keys()]) this.expire(state, 'cancelled');
    for (const id of [...this.devices.keys()]) this.cancel(id);
  }

  private async pollDevice(
    id: string,
    account: Account,
    permissions: string[],
    poll: { deviceCode: string; intervalMs: number; deadline: number; signal: AbortSignal; tokenUrl: string },
  ): Promise<void> {
    let interval = poll.intervalMs;
    const form = {
      client_id: account.applicationId,
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      device_code: poll.deviceCode,
      client_info: '1',
    };
    try {
      for (;;) {
        const wait = Math.min(interval, poll.deadline - Date.now());
        if (wait <= 0) throw new SignInError('expired');
        await sleep(wait, poll.signal);
        let answer: { status: number; body: unknown };
        try {
          answer = await this.post(poll.tokenUrl, form, poll.signal);
        } catch (err) {
          if (poll.signal.aborted) throw err;
          continue; // a network hiccup: try again at the next interval, until the deadline
        }
        const error = (answer.body as { error?: string }).error;
        if (answer.status === 200 && !error) {
          await this.seatDeviceTokens(id, account, permissions, answer.body as { refresh_token?: string });
          return;
        }
        if (error === DeviceCodeErrors.pending) continue;
        if (error === DeviceCodeErrors.slowDown) {
          interval += this.slowDownStepMs;
          continue;
        }
        if (answer.status >= 500 || answer.status === 429) continue;
        throw failureOf(answer.body);
      }
    } catch (err) {
      if (poll.signal.aborted) return; // cancelled: cancel() reported it
      this.reportFailure(id, asSignInError(err));
    } finally {
      if (this.devices.get(id)?.signal === poll.signal) this.devices.delete(id);
    }
  }

  /**
   * The device code answer holds a refresh token msal has not seen; msal redeems it once (one token request) and
   * keeps what Entra answers in its cache, the same cache a browser sign-in fills.
   */
  private async seatDeviceTokens(
    id: string,
    account: Account,
    permissions: string[],
    tokens: { refresh_token?: string },
  ): Promise<void> {
    if (!tokens.refresh_token) {
      throw new SignInError('failed', {
        hint: 'Entra answered without a refresh token (offline_access was not granted)',
      });
    }
    const cache = memoryCache();
    const network = msalNetworkClient(this.options.http);
    const app = delegatedMsalApp(account, network, cache.plugin);
    try {
      const result = await app.acquireTokenByRefreshToken({
        refreshToken: tokens.refresh_token,
        scopes: scopesFor(graphOnly(permissions), account.graphEndpoint),
        forceCache: true,
      });
      if (!result?.account) throw new SignInError('failed', { hint: 'Entra answered without an account' });
      await this.store(id, account, userOf(result.account), result.scopes, cache.serialized());
    } catch (err) {
      throw asSignInError(err, network.takeFailure((err as { correlationId?: string })?.correlationId));
    }
  }

  /** Stores a completed sign-in and announces it. */
  private async store(
    id: string,
    account: Account,
    user: SignedInUser,
    scopes: string[],
    msalCache: string,
  ): Promise<SignedInUser> {
    const permissions = grantedPermissions(scopes);
    const record: StoredSignIn = {
      version: 1,
      binding: bindingOf(account),
      user,
      permissions,
      signedInAt: new Date().toISOString(),
      msalCache,
    };
    await this.options.store.write(id, record);
    await this.options.onSignedIn?.(id);
    this.report(id, { status: 'signed-in', user, permissions, at: record.signedInAt });
    return user;
  }

  private async post(
    url: string,
    form: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<{ status: number; body: unknown }> {
    const response = await this.options.http.axios.request({
      method: 'POST',
      url,
      data: new URLSearchParams(form).toString(),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      responseType: 'text',
      transformResponse: (x: unknown) => x,
      signal,
    });
    let body: unknown = {};
    try {
      body = typeof response.data === 'string' && response.data ? JSON.parse(response.data) : {};
    } catch {
      body = {
        error: OAuthErrors.invalidResponse,
        error_description: `Unreadable answer (HTTP ${response.status})`,
      };
    }
    return { status: response.status, body };
  }

  private expire(state: string, why: 'expired' | 'cancelled' = 'expired'): void {
    const pending = this.pending.get(state);
    if (!pending) return;
    this.pending.delete(state);
    clearTimeout(pending.timer);
    this.reportFailure(pending.id, new SignInError(why));
  }

  private reportFailure(id: string, error: SignInError): void {
    this.report(id, {
      status: 'failed',
      error: { code: error.code, why: error.why, message: error.message },
      at: new Date().toISOString(),
    });
  }

  private report(id: string, progress: SignInProgress): void {
    this.progressById.delete(id);
    this.progressById.set(id, progress);
    if (this.progressById.size > 200)
      this.progressById.delete(this.progressById.keys().next().value as string);
    this.options.onProgress?.(id, progress);
  }
}

/** The account of the dialog's settings; throws a ConfigError unless it is a delegated one that can work. */
function delegatedAccount(settings: AccountSettings): Account {
  const account = normaliseAccount({ ...settings, authType: 'delegated' });
  return account;
}

/** Microsoft accepts https redirect URIs, and http only for localhost (reply-url.md). */
function checkRedirectUri(uri: string): void {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new SignInError('redirect-insecure', { hint: `"${uri.slice(0, 200)}" is not a URL` });
  }
  const loopback = url.hostname === 'localhost' || url.hostname === '127.0.0.1';
  if (url.protocol === 'https:' || (url.protocol === 'http:' && loopback)) return;
  throw new SignInError('redirect-insecure');
}

function graphOnly(permissions: string[]): string[] {
  return permissions.filter((p) => !['offline_access', 'openid', 'profile', 'email'].includes(p));
}

function positive(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
}

/** An OAuth error body (device code, token endpoint) as a SignInError. */
function failureOf(body: unknown): SignInError {
  const b = (body ?? {}) as {
    error?: string;
    error_description?: string;
    error_codes?: number[];
    suberror?: string;
  };
  return signInFailure({
    error: b.error,
    errorDescription: b.error_description,
    errorNo: Array.isArray(b.error_codes) && b.error_codes.length ? String(b.error_codes[0]) : undefined,
    subError: b.suberror,
  });
}

/**
 * The AADSTS number of a sign-in redirect's error. The redirect carries no `error_codes` (the token endpoint's JSON
 * does): Entra writes the number only at the start of `error_description` ("AADSTS65004: User declined to consent..."),
 * so this is the one place the package reads it from text.
 */
function aadstsOfRedirect(description: string | undefined): string | undefined {
  return /^AADSTS(\d+)\b/.exec(description ?? '')?.[1];
}

/** Anything a sign-in step threw, as a SignInError (Entra's answer, or the network's failure, with its fix). */
function asSignInError(err: unknown, transport?: unknown): SignInError {
  if (err instanceof SignInError) return err;
  const e = err as { errorCode?: string; errorMessage?: string; errorNo?: string; subError?: string };
  if (e && typeof e === 'object' && e.errorNo) {
    return signInFailure({
      error: e.errorCode,
      errorDescription: e.errorMessage,
      errorNo: String(e.errorNo),
      subError: e.subError,
    });
  }
  const mapped: O365Error = tokenError(err, transport);
  return new SignInError('failed', { hint: mapped.hint ?? messageOf(mapped) });
}

/** An msal cache that lives in memory, to hand over what a sign-in got. */
function memoryCache(): { plugin: ICachePlugin; serialized(): string } {
  let snapshot = '';
  return {
    plugin: {
      beforeCacheAccess: async (context: TokenCacheContext) => {
        if (snapshot) context.tokenCache.deserialize(snapshot);
      },
      afterCacheAccess: async (context: TokenCacheContext) => {
        if (context.cacheHasChanged) snapshot = context.tokenCache.serialize();
      },
    },
    serialized: () => snapshot,
  };
}
