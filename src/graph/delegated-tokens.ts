/**
 * Tokens of a signed-in user (authType delegated): msal-node's PublicClientApplication (or a confidential client, when
 * the app has a secret) whose cache lives in the encrypted token store, so the refresh token survives restarts and
 * the newest one (it rotates at each use) is always the one kept. When the sign-in stops working (revoked, consent
 * withdrawn, 90 days unused...) the account turns "sign in again": every token request fails at once with the reason,
 * without a network call, until a new sign-in is stored and `reload()` picks it up.
 */
import {
  AccountInfo,
  ConfidentialClientApplication,
  ICachePlugin,
  PublicClientApplication,
  TokenCacheContext,
} from '@azure/msal-node';
import { Account } from './account';
import { grantedPermissions, scopesFor } from './delegated-permissions';
import { ErrorCodes, SignInReason } from './error-codes';
import { O365Error } from './errors';
import { HttpStack, msalNetworkClient, MsalNetworkClient } from './http';
import { refreshFailure, SignInRequiredError } from './sign-in-errors';
import { AccessToken, CachedTokens, msalConfiguration, noToken } from './token';
import { TokenStore } from './token-store';

/** What a sign-in was made for: a stored sign-in only serves an account with the same binding. */
export interface SignInBinding {
  applicationId: string;
  authorityHost: string;
  tenantId: string;
  graphEndpoint: string;
  /** Signed in with the app's client secret (a web app) rather than as a public client. */
  confidential: boolean;
}

/** Who signed in, as the ID token says (no secret). */
export interface SignedInUser {
  /** The sign-in name (UPN or e-mail address). */
  username: string;
  name?: string;
  /** The user's home tenant (the personal-account tenant for Outlook.com). */
  tenantId?: string;
  homeAccountId: string;
}

/** What the token store keeps for one delegated account. */
export interface StoredSignIn {
  version: 1;
  binding: SignInBinding;
  user: SignedInUser;
  /** Graph permissions granted at the last token answer. */
  permissions: string[];
  signedInAt: string;
  /** msal's serialized cache: the refresh token, the ID token and the last access token. */
  msalCache: string;
  /** Set when the refresh token stopped working, so a restart shows "sign in again" without asking Entra. */
  failure?: { why: SignInReason; aadsts?: string; at: string };
}

export type SignInState =
  | { status: 'signed-in'; user: SignedInUser; permissions: string[]; signedInAt: string }
  | { status: 'sign-in-required'; error: SignInRequiredError; user?: SignedInUser };

/** The personal Microsoft account tenant (Outlook.com, Hotmail). */
export const PERSONAL_ACCOUNT_TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';

/** The binding of an account's settings. */
export function bindingOf(account: Account): SignInBinding {
  return {
    applicationId: account.applicationId.toLowerCase(),
    authorityHost: account.authorityHost.toLowerCase(),
    tenantId: account.tenantId.toLowerCase(),
    graphEndpoint: account.graphEndpoint.toLowerCase(),
    confidential: account.credential.type === 'delegated' && !!account.credential.clientSecret,
  };
}

function sameBinding(a: SignInBinding, b: SignInBinding): boolean {
  return (
    a.applicationId === b.applicationId &&
    a.authorityHost === b.authorityHost &&
    a.tenantId === b.tenantId &&
    a.graphEndpoint === b.graphEndpoint &&
    a.confidential === b.confidential
  );
}

/** An msal app for a delegated account: confidential with the app's secret, else public. */
export function delegatedMsalApp(
  account: Account,
  network: MsalNetworkClient,
  cachePlugin: ICachePlugin,
): PublicClientApplication | ConfidentialClientApplication {
  const configuration = msalConfiguration(account, network, cachePlugin);
  return bindingOf(account).confidential
    ? new ConfidentialClientApplication(configuration)
    : new PublicClientApplication(configuration);
}

/** The signed-in user of an msal account. */
export function userOf(account: AccountInfo): SignedInUser {
  return {
    username: account.username,
    name: account.name || undefined,
    tenantId: account.tenantId || undefined,
    homeAccountId: account.homeAccountId,
  };
}

/** The token source of a delegated account, on the stored sign-in. */
export class DelegatedTokens extends CachedTokens {
  private readonly network: MsalNetworkClient;
  private readonly app: PublicClientApplication | ConfidentialClientApplication;
  private readonly binding: SignInBinding;
  private record: StoredSignIn | undefined;
  private current: SignInState | undefined;
  private loading: Promise<SignInState> | undefined;
  private readonly listeners = new Set<(state: SignInState) => void>();

  constructor(
    private readonly account: Account,
    http: HttpStack,
    private readonly store: TokenStore,
    /** The config node's id: the name of its stored sign-in. */
    readonly id: string,
  ) {
    super();
    this.binding = bindingOf(account);
    this.network = msalNetworkClient(http);
    this.app = delegatedMsalApp(account, this.network, this.cachePlugin());
  }

  /** The state once loaded (undefined before the first `load()`). */
  get state(): SignInState | undefined {
    return this.current;
  }

  /** Tells `listener` each time the state changes (signed in, sign in again); returns the unsubscribe. */
  onChange(listener: (state: SignInState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Reads the stored sign-in (once; later calls answer the same promise). */
  load(): Promise<SignInState> {
    this.loading ??= this.readStore();
    return this.loading;
  }

  /** Reads the store again, e.g. after a new sign-in was stored for this account. */
  async reload(): Promise<SignInState> {
    await this.inFlight().catch(() => undefined);
    this.forgetToken();
    this.loading = this.readStore();
    return this.loading;
  }

  /** Removes the stored sign-in; every node using the account then shows "signed out". */
  async signOut(): Promise<void> {
    await this.inFlight().catch(() => undefined);
    await this.store.remove(this.id);
    this.forgetToken();
    this.record = undefined;
    this.loading = Promise.resolve(
      this.set({ status: 'sign-in-required', error: new SignInRequiredError('signed-out') }),
    );
  }

  protected async acquire(skipCache: boolean): Promise<AccessToken> {
    const state = await this.load();
    if (state.status !== 'signed-in' || !this.record) {
      throw state.status === 'signed-in' ? new SignInRequiredError('not-signed-in') : state.error;
    }
    const record = this.record;
    let result;
    try {
      const account = await this.app.getTokenCache().getAccountByHomeId(record.user.homeAccountId);
      if (!account) throw new SignInRequiredError('not-signed-in');
      result = await this.app.acquireTokenSilent({
        account,
        scopes: scopesFor(record.permissions, this.account.graphEndpoint),
        forceRefresh: skipCache,
      });
    } catch (err) {
      const error = refreshFailure(
        err,
        this.network.takeFailure((err as { correlationId?: string })?.correlationId),
      );
      if (error instanceof SignInRequiredError) await this.fail(record, error);
      throw error;
    }
    if (!result?.accessToken) throw noToken();
    if (result.fromCache === false) this.requests++;
    const permissions = grantedPermissions(result.scopes);
    return {
      token: result.accessToken,
      expiresOn: result.expiresOn ?? null,
      roles: [],
      scopes: permissions,
      user: record.user.username,
    };
  }

  private async readStore(): Promise<SignInState> {
    let stored: StoredSignIn | undefined;
    try {
      stored = await this.store.read<StoredSignIn>(this.id);
    } catch (err) {
      this.record = undefined;
      if (err instanceof O365Error && err.code === ErrorCodes.tokenStoreUnreadable) {
        return this.set({ status: 'sign-in-required', error: new SignInRequiredError('store-unreadable') });
      }
      throw err;
    }
    this.record = stored;
    if (!stored || stored.version !== 1) {
      return this.set({ status: 'sign-in-required', error: new SignInRequiredError('not-signed-in') });
    }
    if (!sameBinding(stored.binding, this.binding)) {
      return this.set({
        status: 'sign-in-required',
        error: new SignInRequiredError('settings-changed'),
        user: stored.user,
      });
    }
    if (stored.failure) {
      return this.set({
        status: 'sign-in-required',
        error: new SignInRequiredError(stored.failure.why, { aadsts: stored.failure.aadsts }),
        user: stored.user,
      });
    }
    return this.set({
      status: 'signed-in',
      user: stored.user,
      permissions: stored.permissions,
      signedInAt: stored.signedInAt,
    });
  }

  /** The refresh token stopped working: remember why (also across restarts) and tell every listener. */
  private async fail(record: StoredSignIn, error: SignInRequiredError): Promise<void> {
    const aadsts = error.code.startsWith('AADSTS') ? error.code.slice('AADSTS'.length) : undefined;
    const failure = { why: error.why, ...(aadsts ? { aadsts } : {}), at: new Date().toISOString() };
    await this.store
      .update<StoredSignIn>(this.id, (stored) =>
        stored && stored.signedInAt === record.signedInAt ? { ...stored, failure } : stored,
      )
      .catch(() => undefined);
    if (this.record?.signedInAt === record.signedInAt) {
      this.record = { ...record, failure };
      this.loading = Promise.resolve(this.set({ status: 'sign-in-required', error, user: record.user }));
    }
  }

  private set(state: SignInState): SignInState {
    this.current = state;
    for (const listener of this.listeners) listener(state);
    return state;
  }

  /**
   * msal's cache, kept in the token store: read before each access, written after each change (a rotated refresh
   * token), but only into the sign-in it was read from, never over a newer one.
   */
  private cachePlugin(): ICachePlugin {
    return {
      beforeCacheAccess: async (context: TokenCacheContext) => {
        const stored = await this.store.read<StoredSignIn>(this.id).catch(() => undefined);
        if (stored && this.record && stored.signedInAt === this.record.signedInAt) {
          context.tokenCache.deserialize(stored.msalCache);
        }
      },
      afterCacheAccess: async (context: TokenCacheContext) => {
        if (!context.cacheHasChanged || !this.record) return;
        const signedInAt = this.record.signedInAt;
        const msalCache = context.tokenCache.serialize();
        await this.store.update<StoredSignIn>(this.id, (stored) =>
          stored && stored.signedInAt === signedInAt ? { ...stored, msalCache } : stored,
        );
      },
    };
  }
}
