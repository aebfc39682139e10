/**
 * The Microsoft identity platform for a signed-in user: authorization codes with PKCE, device codes, refresh tokens
 * (rotated, revocable, expiring after 90 days unused), consent, and delegated access tokens with `scp`. The HTTP side
 * (pages and endpoints) is in signin-endpoint.ts; this module holds the state and answers the grants.
 */
import * as crypto from 'node:crypto';
import { TokenFailure } from './errors';
import type { Identity, TokenClaims } from './identity';
import type { MailStore, Mailbox } from './store';
import type { AppRegistration, RedirectUri, SignInAudience } from './types';

/** The tenant id of every personal Microsoft account (Outlook.com, Hotmail). */
export const MSA_TENANT_ID = '9188040d-6c67-4c5b-b112-36a304b66dad';

const OIDC = new Set(['openid', 'profile', 'email', 'offline_access']);

/** Graph's delegated permissions the simulator knows (canonical case); others are invalid scopes. */
const GRAPH_SCOPES = [
  'Mail.Read',
  'Mail.ReadBasic',
  'Mail.ReadWrite',
  'Mail.Send',
  'Mail.Read.Shared',
  'Mail.ReadWrite.Shared',
  'Mail.Send.Shared',
  'User.Read',
  'MailboxSettings.Read',
  'MailboxSettings.ReadWrite',
];
const CANONICAL = new Map(GRAPH_SCOPES.map((s) => [s.toLowerCase(), s]));
/** Personal accounts support the plain Mail permissions but none of the .Shared ones (permissions-msa.md). */
const NOT_FOR_PERSONAL = new Set(['Mail.Read.Shared', 'Mail.ReadWrite.Shared', 'Mail.Send.Shared']);

const NINETY_DAYS_MS = 90 * 24 * 3600 * 1000;

export type TenantPath = 'common' | 'organizations' | 'consumers' | 'tenant' | 'msa';

/** Requested scopes, split into the OpenID ones and Graph permissions (canonical names). */
export interface ScopeRequest {
  oidc: string[];
  graph: string[];
  /** `{graph}/.default`: every permission consented so far. */
  all: boolean;
  /** True when the Graph scopes were given with the resource prefix (answers echo that form). */
  qualified: boolean;
}

export interface DelegatedUser {
  mailbox: Mailbox;
  personal: boolean;
  tokensValidFrom: number;
  passwordChangedAt: number;
  mfa: false | 'mfa' | 'register';
}

interface CodeGrant {
  clientId: string;
  redirectUri: string;
  platform: RedirectUri['platform'];
  userId: string;
  scopes: ScopeRequest;
  challenge?: string;
  method?: 'S256' | 'plain';
  nonce?: string;
  expiresAt: number;
  redeemed: boolean;
}

export interface DeviceGrant {
  deviceCode: string;
  userCode: string;
  clientId: string;
  tenantPath: TenantPath;
  scopes: ScopeRequest;
  expiresAt: number;
  interval: number;
  lastPoll: number;
  state: 'pending' | 'approved' | 'declined' | 'failed' | 'redeemed';
  userId?: string;
  /** Why the sign-in on the other device failed (Conditional Access, assignment...). */
  failure?: TokenFailure;
}

interface RefreshRecord {
  clientId: string;
  userId: string;
  confidential: boolean;
  issuedAt: number;
  lastUsedAt: number;
  family: string;
  superseded: boolean;
}

/** One use of a refresh token, for tests that check the client always uses the newest. */
export interface RefreshTokenUse {
  at: Date;
  userId: string;
  clientId: string;
  family: string;
  /** False when a newer token of the same sign-in existed: the client kept an old one. */
  newest: boolean;
  outcome: 'ok' | string;
}

export interface DelegatedOptions {
  identity: Identity;
  store: MailStore;
  tenantId: string;
  tenantDomain: string;
  url: () => string;
  tokenLifetimeSec: number;
  authCodeLifetimeSec: number;
  deviceCodeLifetimeSec: number;
  deviceCodeIntervalSec: number;
}

/** What a successful grant answers (the token endpoint adds nothing but headers). */
export type TokenAnswer = Record<string, unknown>;

export class DelegatedIdentity {
  private readonly users = new Map<string, DelegatedUser>();
  private readonly consents = new Map<string, Set<string>>();
  /** Permissions whose consent was withdrawn after being granted (refresh then answers AADSTS70000). */
  private readonly withdrawn = new Map<string, Set<string>>();
  private readonly codes = new Map<string, CodeGrant>();
  readonly devices = new Map<string, DeviceGrant>();
  private readonly refreshTokens = new Map<string, RefreshRecord>();
  private readonly opaque = new Map<string, TokenClaims>();
  readonly refreshTokenUses: RefreshTokenUse[] = [];
  userConsentAllowed = true;
  deviceCodeBlocked = false;
  strictRotation = false;
  forcedSlowDowns = 0;

  constructor(private readonly opts: DelegatedOptions) {}

  // ---- users ----

  /** The delegated view of a mailbox's user (created on first use). */
  user(mailbox: Mailbox): DelegatedUser {
    let user = this.users.get(mailbox.userId);
    if (!user) {
      user = { mailbox, personal: false, tokensValidFrom: 0, passwordChangedAt: 0, mfa: false };
      this.users.set(mailbox.userId, user);
    }
    return user;
  }

  userById(userId: string): DelegatedUser | undefined {
    const mailbox = this.opts.store.findMailbox(userId);
    return mailbox ? this.user(mailbox) : undefined;
  }

  /** Finds a user by sign-in name (address) or object id. */
  findUser(login: string): DelegatedUser | undefined {
    const mailbox = this.opts.store.findMailbox(login.trim());
    return mailbox ? this.user(mailbox) : undefined;
  }

  tenantOf(user: DelegatedUser): string {
    return user.personal ? MSA_TENANT_ID : this.opts.tenantId;
  }

  // ---- the token endpoint ----

  /** Answers the delegated grants: authorization_code, device_code and refresh_token. */
  grant(tenantSegment: string, form: Record<string, string>): TokenAnswer {
    const { app } = this.appAt(tenantSegment, form.client_id);
    switch (form.grant_type) {
      case 'authorization_code':
        return this.redeemCode(app, form);
      case 'refresh_token':
        return this.redeemRefreshToken(app, form);
      case 'device_code':
      case 'urn:ietf:params:oauth:grant-type:device_code':
        return this.pollDeviceCode(app, form);
      default:
        throw new TokenFailure(
          400,
          'unsupported_grant_type',
          70003,
          `The app requested an unsupported grant type '${form.grant_type}'.`,
        );
    }
  }

  /** The app a request names at an authority, or the AADSTS Entra answers (90002, 700016, 50194, 9002332). */
  appAt(tenantSegment: string, clientId: string | undefined): { app: AppRegistration; path: TenantPath } {
    const path = this.tenantPath(tenantSegment);
    if (!path) {
      throw new TokenFailure(
        400,
        'invalid_request',
        90002,
        `Tenant '${tenantSegment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
      );
    }
    if (!clientId) throw missing('client_id');
    const app = this.opts.identity.app(clientId);
    if (!app) {
      throw new TokenFailure(
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${clientId}' was not found in the directory '${this.opts.tenantDomain}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
      );
    }
    this.checkAudience(app, path);
    return { app, path };
  }

  // ---- tenants, apps, scopes ----

  /** Which kind of authority a path segment names; undefined for an unknown tenant. */
  tenantPath(segment: string): TenantPath | undefined {
    const s = segment.toLowerCase();
    if (s === 'common' || s === 'organizations' || s === 'consumers') return s;
    if (s === MSA_TENANT_ID) return 'msa';
    return this.opts.identity.isTenant(s) ? 'tenant' : undefined;
  }

  /** Throws the AADSTS an app's sign-in audience gives for an authority (50194, 9002332). */
  checkAudience(app: AppRegistration, path: TenantPath): void {
    const audience = audienceOf(app);
    if ((path === 'common' || path === 'organizations') && audience === 'AzureADMyOrg') {
      throw new TokenFailure(
        400,
        'invalid_request',
        50194,
        `Application '${app.clientId}' is not configured as a multi-tenant application. Usage of the /common endpoint is not supported for such applications created after '10/15/2018'. Use a tenant-specific endpoint or configure the application to be multi-tenant.`,
      );
    }
    if (
      (path === 'consumers' || path === 'msa') &&
      audience !== 'AzureADandPersonalMicrosoftAccount' &&
      audience !== 'PersonalMicrosoftAccount'
    ) {
      throw new TokenFailure(
        400,
        'invalid_request',
        9002332,
        `Application '${app.clientId}' is configured for use by Azure Active Directory users only. Please do not use the /consumers endpoint to serve this request.`,
      );
    }
  }

  /** Whether a user may sign in through this authority and app; the AADSTS when not (500208). */
  accountTypeProblem(app: AppRegistration, path: TenantPath, user: DelegatedUser): TokenFailure | undefined {
    const audience = audienceOf(app);
    const personalAllowed =
      (audience === 'AzureADandPersonalMicrosoftAccount' || audience === 'PersonalMicrosoftAccount') &&
      (path === 'common' || path === 'consumers' || path === 'msa');
    const workAllowed = audience !== 'PersonalMicrosoftAccount' && path !== 'consumers' && path !== 'msa';
    if (user.personal ? personalAllowed : workAllowed) return undefined;
    return new TokenFailure(
      400,
      'invalid_request',
      500208,
      `The domain is not a valid login domain for the account type. ('${user.mailbox.address}' is a ${user.personal ? 'personal Microsoft account' : 'work or school account'}.)`,
    );
  }

  /** Parses a scope parameter; throws AADSTS70011 for a permission Graph does not have. */
  parseScopes(scope: string | undefined): ScopeRequest {
    const request: ScopeRequest = { oidc: [], graph: [], all: false, qualified: false };
    const base = `${this.opts.url()}/`.toLowerCase();
    for (const raw of (scope ?? '').split(/\s+/).filter(Boolean)) {
      const lower = raw.toLowerCase();
      if (OIDC.has(lower)) {
        if (!request.oidc.includes(lower)) request.oidc.push(lower);
        continue;
      }
      let name = lower;
      if (lower.startsWith(base)) {
        name = lower.slice(base.length);
        request.qualified = true;
      } else if (/^https?:\/\//.test(lower) || lower.startsWith('api://')) {
        throw new TokenFailure(
          400,
          'invalid_resource',
          500011,
          `The resource principal named ${raw.replace(/\/[^/]*$/, '')} was not found in the tenant named ${this.opts.tenantDomain}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
        );
      }
      if (name === '.default') {
        request.all = true;
        continue;
      }
      const canonical = CANONICAL.get(name);
      if (!canonical) throw invalidScope(raw);
      if (!request.graph.includes(canonical)) request.graph.push(canonical);
    }
    if (request.graph.length === 0 && !request.all && request.oidc.length === 0) {
      throw new TokenFailure(
        400,
        'invalid_request',
        900144,
        "The request body must contain the following parameter: 'scope'.",
      );
    }
    return request;
  }

  /** Throws AADSTS70011 when a personal account is asked for a permission it cannot have. */
  checkScopesFor(user: DelegatedUser, scopes: ScopeRequest): void {
    if (!user.personal) return;
    const bad = scopes.graph.find((s) => NOT_FOR_PERSONAL.has(s));
    if (bad) throw invalidScope(bad);
  }

  // ---- consent ----

  private consentKey(userId: string, clientId: string): string {
    return `${userId}|${clientId.toLowerCase()}`;
  }

  consented(userId: string, clientId: string): Set<string> {
    return this.consents.get(this.consentKey(userId, clientId)) ?? new Set();
  }

  /** The permissions a sign-in still has to ask consent for. */
  consentNeeded(userId: string, clientId: string, scopes: ScopeRequest): string[] {
    const granted = this.consented(userId, clientId);
    return scopes.graph.filter((s) => !granted.has(s));
  }

  grantConsent(userId: string, clientId: string, scopes: string[]): void {
    const key = this.consentKey(userId, clientId);
    const granted = this.consents.get(key) ?? new Set<string>();
    for (const s of scopes) {
      granted.add(s);
      this.withdrawn.get(key)?.delete(s);
    }
    this.consents.set(key, granted);
  }

  /** Withdraws consent: all of it (refresh then answers 65001), or some permissions (70000). */
  revokeConsent(userId: string, clientId: string, scopes?: string[]): void {
    const key = this.consentKey(userId, clientId);
    if (!scopes) {
      this.consents.delete(key);
      this.withdrawn.delete(key);
      return;
    }
    const granted = this.consents.get(key);
    const withdrawn = this.withdrawn.get(key) ?? new Set<string>();
    for (const raw of scopes) {
      const s = CANONICAL.get(raw.toLowerCase()) ?? raw;
      granted?.delete(s);
      withdrawn.add(s);
    }
    this.withdrawn.set(key, withdrawn);
  }

  // ---- authorization codes ----

  issueCode(grant: Omit<CodeGrant, 'expiresAt' | 'redeemed'>): string {
    const code = `1.A${crypto.randomBytes(48).toString('base64url')}`;
    this.codes.set(code, {
      ...grant,
      expiresAt: Date.now() + this.opts.authCodeLifetimeSec * 1000,
      redeemed: false,
    });
    return code;
  }

  /** Makes every outstanding authorization code expired (AADSTS70008 when redeemed). */
  expireCodes(): void {
    for (const grant of this.codes.values()) grant.expiresAt = 0;
  }

  /** grant_type=authorization_code. */
  redeemCode(app: AppRegistration, form: Record<string, string>): TokenAnswer {
    const grant = form.code ? this.codes.get(form.code) : undefined;
    if (!form.code) throw missing('code');
    if (!grant || grant.clientId.toLowerCase() !== app.clientId.toLowerCase()) {
      throw new TokenFailure(
        400,
        'invalid_grant',
        9002313,
        'Invalid request. Request is malformed or invalid.',
      );
    }
    if (grant.redeemed) {
      throw new TokenFailure(
        400,
        'invalid_grant',
        54005,
        'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
      );
    }
    if (grant.expiresAt <= Date.now()) {
      throw new TokenFailure(
        400,
        'invalid_grant',
        70008,
        'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
      );
    }
    if (form.redirect_uri !== grant.redirectUri) {
      throw new TokenFailure(
        400,
        'invalid_grant',
        50011,
        `The redirect URI '${form.redirect_uri ?? ''}' specified in the request does not match the redirect URI used to request the authorization code.`,
      );
    }
    this.authenticateClient(app, grant.platform === 'web', form);
    if (grant.challenge !== undefined) {
      const verifier = form.code_verifier ?? '';
      const computed =
        grant.method === 'plain'
          ? verifier
          : crypto.createHash('sha256').update(verifier).digest('base64url');
      if (!verifier || computed !== grant.challenge) {
        throw new TokenFailure(
          400,
          'invalid_grant',
          501481,
          'The Code_Verifier does not match the code_challenge supplied in the authorization request.',
        );
      }
    }
    grant.redeemed = true;
    const user = this.userById(grant.userId);
    if (!user) throw new TokenFailure(400, 'invalid_grant', 50034, 'The user account does not exist.');
    const scopes = form.scope ? this.parseScopes(form.scope) : grant.scopes;
    return this.issueTokens(app, user, scopes, {
      confidential: grant.platform === 'web',
      nonce: grant.nonce,
      clientInfo: form.client_info === '1',
    });
  }

  // ---- device codes ----

  /** POST /devicecode: a new device code for the app and scopes. */
  startDeviceCode(app: AppRegistration, path: TenantPath, scope: string | undefined): TokenAnswer {
    const scopes = this.parseScopes(scope);
    const deviceCode = `DAQABAAEAAAD${crypto.randomBytes(64).toString('base64url')}`;
    const userCode = Array.from(
      crypto.randomBytes(9),
      (b) => 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'[b % 32],
    ).join('');
    const grant: DeviceGrant = {
      deviceCode,
      userCode,
      clientId: app.clientId,
      tenantPath: path,
      scopes,
      expiresAt: Date.now() + this.opts.deviceCodeLifetimeSec * 1000,
      interval: this.opts.deviceCodeIntervalSec,
      lastPoll: 0,
      state: 'pending',
    };
    this.devices.set(deviceCode, grant);
    const verification = `${this.opts.url()}/devicelogin`;
    return {
      user_code: userCode,
      device_code: deviceCode,
      verification_uri: verification,
      expires_in: this.opts.deviceCodeLifetimeSec,
      interval: this.opts.deviceCodeIntervalSec,
      message: `To sign in, use a web browser to open the page ${verification} and enter the code ${userCode} to authenticate.`,
    };
  }

  /** The pending device grant a user code names (case and dashes ignored). */
  deviceByUserCode(userCode: string): DeviceGrant | undefined {
    const wanted = userCode.replace(/[\s-]/g, '').toUpperCase();
    for (const grant of this.devices.values()) if (grant.userCode === wanted) return grant;
    return undefined;
  }

  /** grant_type=device_code: pending, slowed down, declined, expired, blocked or the tokens. */
  pollDeviceCode(app: AppRegistration, form: Record<string, string>): TokenAnswer {
    if (!form.device_code) throw missing('device_code');
    const grant = this.devices.get(form.device_code);
    if (!grant || grant.clientId.toLowerCase() !== app.clientId.toLowerCase() || grant.state === 'redeemed') {
      throw new TokenFailure(
        400,
        'bad_verification_code',
        70018,
        "The device_code sent to the /token endpoint wasn't recognized.",
      );
    }
    if (!app.allowPublicClientFlows) throw publicClientFlowsOff();
    const now = Date.now();
    if (grant.expiresAt <= now) {
      throw new TokenFailure(400, 'expired_token', 70019, 'Verification code expired.');
    }
    const early = grant.lastPoll > 0 && now - grant.lastPoll < grant.interval * 1000 - 1000;
    grant.lastPoll = now;
    if (this.forcedSlowDowns > 0 || early) {
      if (this.forcedSlowDowns > 0) this.forcedSlowDowns--;
      grant.interval += 5;
      throw new TokenFailure(
        400,
        'slow_down',
        70016,
        `Polling too fast: wait at least ${grant.interval} seconds between requests.`,
      );
    }
    if (grant.state === 'pending') {
      throw new TokenFailure(
        400,
        'authorization_pending',
        70016,
        'OAuth 2.0 device flow error. Authorization is pending. Continue polling.',
      );
    }
    if (grant.state === 'declined') {
      throw new TokenFailure(
        400,
        'authorization_declined',
        65004,
        'User declined to consent to access the app.',
      );
    }
    if (grant.state === 'failed' && grant.failure) throw grant.failure;
    grant.state = 'redeemed';
    const user = grant.userId ? this.userById(grant.userId) : undefined;
    if (!user) throw new TokenFailure(400, 'invalid_grant', 50034, 'The user account does not exist.');
    return this.issueTokens(app, user, grant.scopes, {
      confidential: false,
      clientInfo: form.client_info === '1',
    });
  }

  // ---- refresh tokens ----

  /** grant_type=refresh_token, with Entra's answers for revoked, expired and unconsented grants. */
  redeemRefreshToken(app: AppRegistration, form: Record<string, string>): TokenAnswer {
    if (!form.refresh_token) throw missing('refresh_token');
    const record = this.refreshTokens.get(form.refresh_token);
    if (!record || record.clientId.toLowerCase() !== app.clientId.toLowerCase()) {
      throw new TokenFailure(
        400,
        'invalid_grant',
        9002313,
        'Invalid request. Request is malformed or invalid.',
      );
    }
    const newest = !record.superseded;
    const use = (outcome: string): void => {
      this.refreshTokenUses.push({
        at: new Date(),
        userId: record.userId,
        clientId: record.clientId,
        family: record.family,
        newest,
        outcome,
      });
    };
    try {
      this.authenticateClient(app, record.confidential, form);
      const user = this.userById(record.userId);
      if (!user) throw new TokenFailure(400, 'invalid_grant', 50034, 'The user account does not exist.');
      this.checkRefresh(app, record, user, form);
      const scopes = this.parseScopes(form.scope);
      this.checkScopesFor(user, scopes);
      this.checkConsent(app, user, scopes);
      const answer = this.issueTokens(app, user, scopes, {
        confidential: record.confidential,
        clientInfo: form.client_info === '1',
        family: record.family,
      });
      record.superseded = true;
      record.lastUsedAt = Date.now();
      use('ok');
      return answer;
    } catch (err) {
      use(err instanceof TokenFailure ? `AADSTS${err.aadsts}` : 'error');
      throw err;
    }
  }

  private checkRefresh(
    app: AppRegistration,
    record: RefreshRecord,
    user: DelegatedUser,
    form: Record<string, string>,
  ): void {
    const now = Date.now();
    if (this.strictRotation && record.superseded) {
      throw new TokenFailure(
        400,
        'invalid_grant',
        70000,
        'The provided grant is invalid: a newer refresh token replaced it.',
      );
    }
    if (now - record.lastUsedAt > NINETY_DAYS_MS) {
      throw new TokenFailure(
        400,
        'invalid_grant',
        700082,
        `The refresh token has expired due to inactivity. The token was issued on ${new Date(record.issuedAt).toISOString()} and was inactive for 90.00:00:00.`,
      );
    }
    const revokedAt = Math.max(user.tokensValidFrom, record.confidential ? 0 : user.passwordChangedAt);
    if (record.issuedAt < revokedAt) {
      throw new TokenFailure(
        400,
        'invalid_grant',
        50173,
        `The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '${new Date(record.issuedAt).toISOString()}' and the TokensValidFrom date (before which tokens are not valid) for this user is '${new Date(revokedAt).toISOString()}'.`,
        'bad_token',
      );
    }
    const assignment = this.assignmentProblem(app, user);
    if (assignment) throw assignment;
    if (user.mfa) throw mfaRequired(user.mfa);
    void form;
  }

  private checkConsent(app: AppRegistration, user: DelegatedUser, scopes: ScopeRequest): void {
    const key = this.consentKey(user.mailbox.userId, app.clientId);
    const granted = this.consents.get(key);
    if (!granted || granted.size === 0) {
      throw new TokenFailure(
        400,
        'invalid_grant',
        65001,
        `The user or administrator has not consented to use the application with ID '${app.clientId}' named 'Node-RED mail'. Send an interactive authorization request for this user and resource.`,
        'consent_required',
      );
    }
    const missingScopes = scopes.graph.filter((s) => !granted.has(s));
    if (missingScopes.length === 0) return;
    if (missingScopes.some((s) => this.withdrawn.get(key)?.has(s))) {
      throw new TokenFailure(
        400,
        'invalid_grant',
        70000,
        'The request was denied because one or more scopes requested are unauthorized or expired. The user must first sign in and grant the client application access to the requested scope.',
      );
    }
    throw new TokenFailure(
      400,
      'invalid_grant',
      65001,
      `The user or administrator has not consented to use the application with ID '${app.clientId}' named 'Node-RED mail'. Send an interactive authorization request for this user and resource.`,
      'consent_required',
    );
  }

  /** AADSTS50105 when the app requires assignment and the user is not assigned. */
  assignmentProblem(app: AppRegistration, user: DelegatedUser): TokenFailure | undefined {
    if (!app.assignedUsers) return undefined;
    const assigned = app.assignedUsers.some(
      (u) => u.toLowerCase() === user.mailbox.address || u.toLowerCase() === user.mailbox.userId,
    );
    if (assigned) return undefined;
    return new TokenFailure(
      400,
      'invalid_grant',
      50105,
      `Your administrator has configured the application ('${app.clientId}') to block users unless they are specifically granted ('assigned') access to the application. The signed in user '${user.mailbox.address}' is blocked because they are not a direct member of a group with access, nor had access directly assigned by an administrator.`,
    );
  }

  /** Every refresh token of the user (or of all users) was last used more than 90 days ago. */
  ageRefreshTokens(userId?: string): void {
    const past = Date.now() - NINETY_DAYS_MS - 60_000;
    for (const record of this.refreshTokens.values()) {
      if (userId && record.userId !== userId) continue;
      record.lastUsedAt = Math.min(record.lastUsedAt, past);
    }
  }

  /** Every credential issued so far (for secret scans in tests: none may show up anywhere). */
  issuedSecrets(): {
    refreshTokens: string[];
    codes: string[];
    deviceCodes: string[];
    opaqueAccessTokens: string[];
  } {
    return {
      refreshTokens: [...this.refreshTokens.keys()],
      codes: [...this.codes.keys()],
      deviceCodes: [...this.devices.keys()],
      opaqueAccessTokens: [...this.opaque.keys()],
    };
  }

  /** The number of refresh tokens issued so far (all kept, as Entra keeps them valid after use). */
  get refreshTokenCount(): number {
    return this.refreshTokens.size;
  }

  // ---- client authentication ----

  /**
   * Web (confidential) redirects need the app's secret; public-client ones must not send one (AADSTS700025). The
   * device code flow and public-client redemption need "Allow public client flows" (AADSTS7000218 otherwise).
   */
  private authenticateClient(
    app: AppRegistration,
    confidential: boolean,
    form: Record<string, string>,
  ): void {
    const secret = form.client_secret;
    if (!confidential) {
      if (secret !== undefined || form.client_assertion !== undefined) {
        throw new TokenFailure(
          401,
          'invalid_client',
          700025,
          "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
        );
      }
      return;
    }
    if (secret === undefined) throw publicClientFlowsOff();
    this.opts.identity.checkClientSecret(app, secret);
  }

  // ---- tokens ----

  private issueTokens(
    app: AppRegistration,
    user: DelegatedUser,
    scopes: ScopeRequest,
    options: { confidential: boolean; nonce?: string; clientInfo: boolean; family?: string },
  ): TokenAnswer {
    const now = Math.floor(Date.now() / 1000);
    const tid = this.tenantOf(user);
    const consented = this.consented(user.mailbox.userId, app.clientId);
    // The token carries every permission consented for Graph, not only those asked for (Entra's behaviour).
    const granted = GRAPH_SCOPES.filter((s) => consented.has(s));
    const lifetime = this.opts.tokenLifetimeSec;
    const claims: TokenClaims = {
      aud: this.opts.url(),
      iss: `https://sts.windows.net/${tid}/`,
      tid,
      appid: app.clientId,
      scp: granted.join(' '),
      oid: user.mailbox.userId,
      upn: user.mailbox.address,
      name: user.mailbox.displayName,
      idtyp: 'user',
      iat: now,
      nbf: now,
      exp: now + lifetime,
      sn: this.opts.identity.nextIssue(),
    };
    // Personal accounts get opaque Graph tokens (not JWTs); a client can only learn the scopes from the answer.
    const accessToken = user.personal ? this.opaqueToken(claims) : this.opts.identity.signToken(claims);
    const base = `${this.opts.url()}/`;
    const answer: TokenAnswer = {
      token_type: 'Bearer',
      scope: [...granted.map((s) => (scopes.qualified ? base + s : s)), ...scopes.oidc].join(' '),
      expires_in: lifetime,
      ext_expires_in: lifetime,
      access_token: accessToken,
    };
    if (scopes.oidc.includes('offline_access')) {
      const refreshToken = `1.A${crypto.randomBytes(96).toString('base64url')}`;
      this.refreshTokens.set(refreshToken, {
        clientId: app.clientId,
        userId: user.mailbox.userId,
        confidential: options.confidential,
        issuedAt: Date.now(),
        lastUsedAt: Date.now(),
        family: options.family ?? crypto.randomUUID(),
        superseded: false,
      });
      answer.refresh_token = refreshToken;
    }
    if (scopes.oidc.includes('openid')) {
      answer.id_token = this.opts.identity.signToken({
        aud: app.clientId,
        iss: `${this.opts.url()}/${tid}/v2.0`,
        iat: now,
        nbf: now,
        exp: now + 3600,
        name: user.mailbox.displayName,
        oid: user.mailbox.userId,
        preferred_username: user.mailbox.address,
        sub: crypto.createHash('sha256').update(`${user.mailbox.userId}|${app.clientId}`).digest('base64url'),
        tid,
        ver: '2.0',
        ...(options.nonce ? { nonce: options.nonce } : {}),
      });
    }
    if (options.clientInfo) {
      answer.client_info = Buffer.from(JSON.stringify({ uid: user.mailbox.userId, utid: tid })).toString(
        'base64url',
      );
    }
    return answer;
  }

  private opaqueToken(claims: TokenClaims): string {
    const now = Math.floor(Date.now() / 1000);
    for (const [token, c] of this.opaque) if (c.exp < now) this.opaque.delete(token);
    const token = `EwB4A8l6BAAU${crypto.randomBytes(120).toString('base64url')}`;
    this.opaque.set(token, claims);
    return token;
  }

  /** The claims of an opaque (personal account) access token this simulator issued. */
  opaqueClaims(token: string): TokenClaims | undefined {
    return this.opaque.get(token);
  }
}

/** An app's sign-in audience (single tenant unless set, as the portal's default). */
export function audienceOf(app: AppRegistration): SignInAudience {
  return app.signInAudience ?? 'AzureADMyOrg';
}

/** The registered redirect URI a request names: exact (case-sensitive) match, port ignored for loopback hosts. */
export function matchRedirectUri(app: AppRegistration, uri: string): RedirectUri | undefined {
  const loopback = (u: URL): boolean => u.hostname === 'localhost' || u.hostname === '127.0.0.1';
  let given: URL;
  try {
    given = new URL(uri);
  } catch {
    return undefined;
  }
  return (app.redirectUris ?? []).find((r) => {
    if (r.uri === uri) return true;
    let registered: URL;
    try {
      registered = new URL(r.uri);
    } catch {
      return false;
    }
    if (!loopback(registered) || !loopback(given)) return false;
    return (
      registered.protocol === given.protocol &&
      registered.hostname === given.hostname &&
      registered.pathname === given.pathname &&
      registered.search === given.search
    );
  });
}

function invalidScope(scope: string): TokenFailure {
  return new TokenFailure(
    400,
    'invalid_scope',
    70011,
    `The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`,
  );
}

function missing(name: string): TokenFailure {
  return new TokenFailure(
    400,
    'invalid_request',
    900144,
    `The request body must contain the following parameter: '${name}'.`,
  );
}

function publicClientFlowsOff(): TokenFailure {
  return new TokenFailure(
    401,
    'invalid_client',
    7000218,
    "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
  );
}

function mfaRequired(kind: 'mfa' | 'register'): TokenFailure {
  return kind === 'mfa'
    ? new TokenFailure(
        400,
        'invalid_grant',
        50076,
        "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '00000003-0000-0000-c000-000000000000'.",
        'basic_action',
      )
    : new TokenFailure(
        400,
        'invalid_grant',
        50079,
        'Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication to access this resource.',
        'basic_action',
      );
}
