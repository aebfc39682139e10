/** The Microsoft identity platform, client credentials only: token endpoint, discovery document, token checks. */
import * as crypto from 'node:crypto';
import { GraphFailure, TokenFailure } from './errors';
import type { AppRegistration } from './types';

export interface IdentityOptions {
  tenantId: string;
  tenantDomain: string;
  apps: AppRegistration[];
  tokenLifetimeSec: number;
  /** This server's base URL (authority host and Graph endpoint). */
  url: () => string;
}

export interface TokenClaims {
  aud: string;
  iss: string;
  tid: string;
  appid: string;
  /** Absent when the app has no application permissions (as Entra does). */
  roles?: string[];
  iat: number;
  nbf: number;
  exp: number;
  /** Issue number, so expireTokens() can expire everything issued so far. */
  sn: number;
  /** Delegated tokens: the permissions the signed-in user consented to, space-separated. */
  scp?: string;
  /** Delegated tokens: the signed-in user's object id, UPN and name; `idtyp` is `user`. */
  oid?: string;
  upn?: string;
  name?: string;
  idtyp?: 'user' | 'app';
}

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access']);

function b64url(value: object | Buffer): string {
  return (Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value))).toString('base64url');
}

function parseJwtPart(part: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export class Identity {
  private readonly key = crypto.randomBytes(32);
  private issued = 0;
  /** Tokens with an issue number at or below this are treated as expired. */
  private expiredUpTo = 0;
  outage = false;
  /** Reads an opaque (non-JWT) access token; set by the delegated side. */
  opaqueClaims?: (token: string) => TokenClaims | undefined;

  constructor(private readonly opts: IdentityOptions) {}

  get tenantId(): string {
    return this.opts.tenantId;
  }

  get apps(): AppRegistration[] {
    return this.opts.apps;
  }

  app(clientId: string): AppRegistration | undefined {
    return this.opts.apps.find((a) => a.clientId.toLowerCase() === clientId.toLowerCase());
  }

  /** True when the path segment names this tenant (id or domain, any case). */
  isTenant(segment: string): boolean {
    const s = segment.toLowerCase();
    return s === this.opts.tenantId.toLowerCase() || s === this.opts.tenantDomain.toLowerCase();
  }

  /** The OpenID configuration Entra serves for this tenant. */
  openidConfiguration(tenant = this.opts.tenantId): Record<string, unknown> {
    const base = `${this.opts.url()}/${tenant}`;
    return {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: `${this.opts.url()}/${this.opts.tenantId}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: `${this.opts.url()}/oidc/userinfo`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'tid', 'roles'],
      kerberos_endpoint: `${base}/kerberos`,
      tenant_region_scope: 'EU',
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: new URL(this.opts.url()).host,
      rbac_url: 'https://pas.windows.net',
    };
  }

  /** Answers a client credentials token request (form fields as parsed); throws TokenFailure. */
  issueToken(tenant: string, form: Record<string, string>): Record<string, unknown> {
    if (this.outage) {
      throw new TokenFailure(
        503,
        'temporarily_unavailable',
        90033,
        'A transient error has occurred. Please try again.',
      );
    }
    if (!form.grant_type) {
      throw new TokenFailure(
        400,
        'invalid_request',
        900144,
        "The request body must contain the following parameter: 'grant_type'.",
      );
    }
    if (form.grant_type !== 'client_credentials') {
      throw new TokenFailure(
        400,
        'unsupported_grant_type',
        70003,
        `The app requested an unsupported grant type '${form.grant_type}'.`,
      );
    }
    if (!form.client_id) {
      throw new TokenFailure(
        400,
        'invalid_request',
        900144,
        "The request body must contain the following parameter: 'client_id'.",
      );
    }
    if (!this.isTenant(tenant)) {
      throw new TokenFailure(
        400,
        'invalid_request',
        90002,
        `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
      );
    }
    const app = this.app(form.client_id);
    if (!app) {
      throw new TokenFailure(
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${form.client_id}' was not found in the directory '${this.opts.tenantDomain}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
      );
    }
    this.checkScope(form.scope);
    if (form.client_secret !== undefined && form.client_assertion !== undefined) {
      throw new TokenFailure(
        400,
        'invalid_request',
        9002313,
        'Invalid request. Request is malformed or invalid.',
      );
    }
    if (form.client_secret !== undefined) this.checkClientSecret(app, form.client_secret);
    else if (form.client_assertion !== undefined) this.checkAssertion(app, tenant, form);
    else {
      throw new TokenFailure(
        401,
        'invalid_client',
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      );
    }
    const now = Math.floor(Date.now() / 1000);
    const claims: TokenClaims = {
      aud: this.opts.url(),
      iss: `https://sts.windows.net/${this.opts.tenantId}/`,
      tid: this.opts.tenantId,
      appid: app.clientId,
      ...(app.roles.length ? { roles: [...app.roles] } : {}),
      iat: now,
      nbf: now,
      exp: now + this.opts.tokenLifetimeSec,
      sn: this.nextIssue(),
    };
    return {
      token_type: 'Bearer',
      expires_in: this.opts.tokenLifetimeSec,
      ext_expires_in: this.opts.tokenLifetimeSec,
      access_token: this.signToken(claims),
    };
  }

  private checkScope(scope: string | undefined): void {
    if (!scope) {
      throw new TokenFailure(
        400,
        'invalid_request',
        900144,
        "The request body must contain the following parameter: 'scope'.",
      );
    }
    const scopes = scope.split(/\s+/).filter((s) => s && !OIDC_SCOPES.has(s));
    if (scopes.length !== 1) {
      throw new TokenFailure(
        400,
        'invalid_scope',
        70011,
        `The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`,
      );
    }
    const [only] = scopes;
    if (!only.endsWith('/.default')) {
      throw new TokenFailure(
        400,
        'invalid_scope',
        1002012,
        `The provided value for scope ${only} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      );
    }
    const resource = only.slice(0, -'/.default'.length);
    if (resource.replace(/\/$/, '') !== this.opts.url()) {
      throw new TokenFailure(
        400,
        'invalid_resource',
        500011,
        `The resource principal named ${resource} was not found in the tenant named ${this.opts.tenantDomain}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
      );
    }
  }

  /** Throws AADSTS7000215 (wrong) or 7000222 (expired) unless the secret is one of the app's. */
  checkClientSecret(app: AppRegistration, secret: string): void {
    const match = (app.secrets ?? []).find(
      (s) =>
        s.value.length === secret.length && crypto.timingSafeEqual(Buffer.from(s.value), Buffer.from(secret)),
    );
    if (!match) {
      throw new TokenFailure(
        401,
        'invalid_client',
        7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`,
      );
    }
    if (match.expired) {
      throw new TokenFailure(
        401,
        'invalid_client',
        7000222,
        `The provided client secret keys for app '${app.clientId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`,
      );
    }
  }

  private checkAssertion(app: AppRegistration, tenant: string, form: Record<string, string>): void {
    const bad = (why: string, code = 700027, status = 401): TokenFailure =>
      new TokenFailure(status, 'invalid_client', code, why);
    if (form.client_assertion_type !== ASSERTION_TYPE) {
      throw new TokenFailure(
        400,
        'invalid_request',
        700023,
        `The client_assertion_type must be '${ASSERTION_TYPE}'.`,
      );
    }
    const parts = form.client_assertion.split('.');
    const header = parts.length === 3 ? parseJwtPart(parts[0]) : undefined;
    const payload = parts.length === 3 ? parseJwtPart(parts[1]) : undefined;
    if (!header || !payload) throw bad('JWT token is invalid or malformed.', 50027, 400);
    const alg = header.alg;
    if (alg !== 'RS256' && alg !== 'PS256')
      throw bad(
        `Client assertion contains an invalid signature. [Reason - The algorithm '${String(alg)}' is not supported.]`,
      );
    const certificates = (app.certificates ?? []).map((pem) => new crypto.X509Certificate(pem));
    const thumbprint = (cert: crypto.X509Certificate, algorithm: 'sha1' | 'sha256'): string =>
      crypto.createHash(algorithm).update(cert.raw).digest('base64url');
    const x5t = typeof header.x5t === 'string' ? header.x5t : undefined;
    const x5t256 = typeof header['x5t#S256'] === 'string' ? (header['x5t#S256'] as string) : undefined;
    const cert = certificates.find(
      (c) =>
        (x5t !== undefined && thumbprint(c, 'sha1') === x5t) ||
        (x5t256 !== undefined && thumbprint(c, 'sha256') === x5t256),
    );
    if (!cert) {
      const used = x5t256 ?? x5t ?? 'none';
      throw bad(
        `Client assertion contains an invalid signature. [Reason - The key was not found., Thumbprint of key used by client: '${Buffer.from(used, 'base64url').toString('hex').toUpperCase()}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${app.clientId}'.]`,
      );
    }
    const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
    const signature = Buffer.from(parts[2], 'base64url');
    const ok =
      alg === 'RS256'
        ? crypto.verify('sha256', signed, cert.publicKey, signature)
        : crypto.verify(
            'sha256',
            signed,
            { key: cert.publicKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
            signature,
          );
    if (!ok) throw bad('Client assertion failed signature validation.');
    const audiences = [tenant, this.opts.tenantId, this.opts.tenantDomain].map((t) =>
      `${this.opts.url()}/${t}/oauth2/v2.0/token`.toLowerCase(),
    );
    if (typeof payload.aud !== 'string' || !audiences.includes(payload.aud.toLowerCase())) {
      throw bad(
        `The audience '${String(payload.aud)}' of the client assertion is not the token endpoint of this tenant.`,
        700212,
      );
    }
    if (payload.iss !== app.clientId || payload.sub !== app.clientId) {
      throw bad(
        'The client assertion issuer (iss) and subject (sub) must both be the application (client) id.',
        700021,
        400,
      );
    }
    const now = Math.floor(Date.now() / 1000);
    const skew = 300;
    if (
      typeof payload.exp !== 'number' ||
      payload.exp + skew < now ||
      (typeof payload.nbf === 'number' && payload.nbf - skew > now)
    ) {
      throw bad(
        `Client assertion is not within its valid time range. Current time: ${new Date().toISOString()}, expiry time of assertion ${typeof payload.exp === 'number' ? new Date(payload.exp * 1000).toISOString() : 'missing'}.`,
        700024,
        400,
      );
    }
  }

  /** The next issue number (tokens at or below expireAll()'s mark are expired). */
  nextIssue(): number {
    return ++this.issued;
  }

  /** Signs any claims with the simulator's key (HS256; clients never verify Entra's signatures). */
  signToken(claims: object): string {
    const head = b64url({ typ: 'JWT', alg: 'HS256', kid: 'sim' });
    const body = b64url(claims);
    const signature = crypto.createHmac('sha256', this.key).update(`${head}.${body}`).digest('base64url');
    return `${head}.${body}.${signature}`;
  }

  /** Every token issued so far is now expired. */
  expireAll(): void {
    this.expiredUpTo = this.issued;
  }

  /** Checks a Graph Authorization header; throws Graph's 401. */
  verify(authorization: string | undefined): TokenClaims {
    const fail = (message: string): GraphFailure =>
      new GraphFailure(401, 'InvalidAuthenticationToken', message, {
        'WWW-Authenticate': `Bearer realm="", authorization_uri="${this.opts.url()}/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`,
      });
    if (!authorization) throw fail('Access token is empty.');
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (!match) throw fail('Access token validation failure. Invalid authorization scheme.');
    const parts = match[1].split('.');
    let claims: TokenClaims | undefined;
    if (parts.length !== 3) {
      // Personal accounts' Graph tokens are opaque; only this simulator can read the ones it issued.
      claims = this.opaqueClaims?.(match[1]);
      if (!claims) throw fail('IDX14100: JWT is not well formed, there are no dots (.).');
    } else {
      const expected = crypto.createHmac('sha256', this.key).update(`${parts[0]}.${parts[1]}`).digest();
      const given = Buffer.from(parts[2], 'base64url');
      if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) {
        throw fail('Access token validation failure.');
      }
      claims = parseJwtPart(parts[1]) as TokenClaims | undefined;
    }
    if (!claims) throw fail('Access token validation failure.');
    if (claims.aud !== this.opts.url()) throw fail('Access token validation failure. Invalid audience.');
    if (claims.exp <= Math.floor(Date.now() / 1000) || claims.sn <= this.expiredUpTo) {
      throw fail('Lifetime validation failed, the token is expired.');
    }
    return claims;
  }
}
