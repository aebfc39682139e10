/**
 * App-only tokens from the Microsoft identity platform through one msal-node ConfidentialClientApplication per
 * account, so every node using a config node shares one token cache. msal makes no discovery request: the authority
 * is a known one and its metadata is given.
 */
import { ConfidentialClientApplication, Configuration, ICachePlugin, LogLevel } from '@azure/msal-node';
import { Account } from './account';
import { ErrorCodes } from './error-codes';
import { TokenError, tokenError } from './errors';
import { HttpStack, msalNetworkClient, MsalNetworkClient } from './http';

export interface AccessToken {
  token: string;
  expiresOn: Date | null;
  /** Application permissions the token carries (its `roles` claim). */
  roles: string[];
  /** A delegated token: the permissions granted (the token answer's scopes; personal accounts' tokens are opaque). */
  scopes?: string[];
  /** A delegated token: the signed-in user's sign-in name. */
  user?: string;
}

/** msal renews a cached token this long before it expires. */
const RENEWAL_MARGIN_MS = 300_000;

/** The token source the Graph client asks before each request. */
export interface TokenSource {
  getToken(options?: { forceRefresh?: boolean; rejected?: string }): Promise<AccessToken>;
}

/**
 * The token cache every token source shares: the last token is kept until msal itself would renew it, concurrent
 * callers share one request, and a token Graph rejected is refreshed once however many requests saw it rejected.
 */
export abstract class CachedTokens implements TokenSource {
  private pending: Promise<AccessToken> | null = null;
  private pendingForced = false;
  private last: AccessToken | null = null;
  /** Token requests that reached the network (msal's cache answers the others). */
  requests = 0;

  /**
   * A valid token, from cache unless it is about to expire. `forceRefresh` fetches a new one; with `rejected` (the
   * token Graph refused) only when no newer token exists yet, so many requests failing together cause one refresh.
   */
  async getToken(options: { forceRefresh?: boolean; rejected?: string } = {}): Promise<AccessToken> {
    const last = this.last;
    if (options.forceRefresh && options.rejected && last && last.token !== options.rejected) return last;
    // msal's cache lookup costs a fraction of a millisecond per call; hot paths ask thousands of times, so keep the
    // last token until msal itself would renew it (5 minutes before expiry).
    if (
      !options.forceRefresh &&
      last?.expiresOn &&
      last.expiresOn.getTime() - RENEWAL_MARGIN_MS > Date.now()
    ) {
      return last;
    }
    // Concurrent callers share one request instead of racing msal into several.
    if (this.pending && (!options.forceRefresh || this.pendingForced)) return this.pending;
    if (options.forceRefresh) this.last = null;
    const forced = !!options.forceRefresh;
    const request = this.acquire(forced)
      .then((token) => {
        this.last = token;
        return token;
      })
      .finally(() => {
        if (this.pending === request) {
          this.pending = null;
          this.pendingForced = false;
        }
      });
    this.pending = request;
    this.pendingForced = forced;
    return request;
  }

  /** Gets a token from msal (its cache, or the network when `skipCache` or the cached one is about to expire). */
  protected abstract acquire(skipCache: boolean): Promise<AccessToken>;

  /** Drops the kept token (after a new sign-in or a sign-out), so the next request asks again. */
  protected forgetToken(): void {
    this.last = null;
  }

  /** The request in flight, if any (to let it finish before the sign-in changes). */
  protected inFlight(): Promise<unknown> {
    return this.pending ?? Promise.resolve();
  }
}

/** Gets and caches app-only tokens for one account. */
export class TokenProvider extends CachedTokens {
  private readonly app: ConfidentialClientApplication;
  private readonly network: MsalNetworkClient;

  constructor(
    private readonly account: Account,
    http: HttpStack,
  ) {
    super();
    this.network = msalNetworkClient(http);
    this.app = new ConfidentialClientApplication(msalConfiguration(account, this.network));
  }

  protected async acquire(skipCache: boolean): Promise<AccessToken> {
    try {
      const result = await this.app.acquireTokenByClientCredential({
        scopes: [this.account.scope],
        skipCache,
      });
      if (!result?.accessToken) throw noToken();
      if (result.fromCache === false) this.requests++;
      return {
        token: result.accessToken,
        expiresOn: result.expiresOn ?? null,
        roles: rolesOf(result.accessToken),
      };
    } catch (err) {
      throw tokenError(err, this.network.takeFailure((err as { correlationId?: string })?.correlationId));
    }
  }
}

/** msal answered without an access token. */
export function noToken(): TokenError {
  return new TokenError({
    code: ErrorCodes.noToken,
    reason: 'token-unavailable',
    hint: 'The sign-in service returned no token',
  });
}

/**
 * msal's configuration for an account: known authority, no discovery, our HTTP stack, no logging of PII; a cache
 * plugin when the cache must outlive the process (delegated sign-in).
 */
export function msalConfiguration(
  account: Account,
  network: MsalNetworkClient,
  cachePlugin?: ICachePlugin,
): Configuration {
  const authority = `${account.authorityHost}/${account.tenantId}`;
  return {
    auth: {
      clientId: account.applicationId,
      authority,
      knownAuthorities: [new URL(account.authorityHost).host],
      authorityMetadata: JSON.stringify(openIdConfiguration(account)),
      cloudDiscoveryMetadata: JSON.stringify(cloudDiscovery(account)),
      ...clientCredential(account.credential),
    },
    ...(cachePlugin ? { cache: { cachePlugin } } : {}),
    system: {
      networkClient: network,
      loggerOptions: { logLevel: LogLevel.Error, piiLoggingEnabled: false, loggerCallback: () => undefined },
    },
  };
}

/** The app's own credential for msal: a secret, a certificate, or none (a public client). */
function clientCredential(credential: Account['credential']): Partial<Configuration['auth']> {
  if (credential.type === 'secret') return { clientSecret: credential.clientSecret };
  if (credential.type === 'delegated')
    return credential.clientSecret ? { clientSecret: credential.clientSecret } : {};
  return {
    clientCertificate:
      credential.thumbprint.length === 64
        ? { thumbprintSha256: credential.thumbprint, privateKey: credential.privateKey }
        : { thumbprint: credential.thumbprint, privateKey: credential.privateKey },
  };
}

/** The authority's OpenID metadata, built locally so msal never fetches it. */
export function openIdConfiguration(account: Account): Record<string, unknown> {
  const base = `${account.authorityHost}/${account.tenantId}`;
  return {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    jwks_uri: `${account.authorityHost}/${account.tenantId}/discovery/v2.0/keys`,
    issuer: `${account.authorityHost}/${account.tenantId}/v2.0`,
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
  };
}

function cloudDiscovery(account: Account): Record<string, unknown> {
  const host = new URL(account.authorityHost).host;
  return {
    tenant_discovery_endpoint: `${account.authorityHost}/${account.tenantId}/v2.0/.well-known/openid-configuration`,
    'api-version': '1.1',
    metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
  };
}

/** The `roles` claim of a JWT access token (empty when the token cannot be read). */
export function rolesOf(token: string): string[] {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as {
      roles?: unknown;
    };
    return Array.isArray(payload.roles)
      ? payload.roles.filter((r): r is string => typeof r === 'string')
      : [];
  } catch {
    return [];
  }
}
