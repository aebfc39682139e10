/** Local Microsoft identity platform + Graph v1.0 mail simulator for tests, the benchmark and `npm start`. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { serverCertificate } from './certs';
import type { FaultRule } from './faults';
import { Identity } from './identity';
import { DelegatedIdentity, type RefreshTokenUse } from './identity-delegated';
import { exchangeId } from './ids';
import { checkQuirks, type Quirks } from './quirks';
import { Transport } from './server';
import { emptyCounters, SimState } from './state';
import { cloneMessage, MailStore } from './store';
import type { DeliveryRecord, LifecycleEvent, NotificationBehaviour, PushTiming } from './push';
import { type SimSubscription, type SubscriptionLimits, Subscriptions } from './subscriptions';
import type {
  AppRegistration,
  Counters,
  RedirectUri,
  SignInAudience,
  FaultMatch,
  RateLimit,
  RequestRecord,
  SchemaViolation,
  SeedMessage,
  SentRecord,
  SimulatorOptions,
  StoredMessage,
} from './types';

export type { DeliveryRecord, LifecycleEvent, NotificationBehaviour, PushTiming } from './push';
export type { SimSubscription, SubscriptionLimits } from './subscriptions';
export type { LargePageRule, Quirks } from './quirks';
export type {
  Address,
  AppRegistration,
  Counters,
  FaultMatch,
  Operation,
  RateLimit,
  Recipient,
  RedirectUri,
  RequestRecord,
  SchemaViolation,
  SeedAttachment,
  SeedContact,
  SeedEvent,
  SeedMessage,
  SentRecord,
  SignInAudience,
  SimulatorOptions,
  StoredAttachment,
  StoredMessage,
} from './types';
export { MSA_TENANT_ID, type RefreshTokenUse } from './identity-delegated';

export const DEFAULT_TENANT_ID = '8d2f5a8e-1b7c-4c1e-9f3a-2d6e4b7c9a10';
export const DEFAULT_TENANT_DOMAIN = 'contoso.example';

export const DEFAULT_APP: AppRegistration = {
  clientId: '0b7c6a3e-5d2f-4e8a-9c1b-7f3e2a1d5c60',
  secrets: [{ value: 'sim-secret-value' }],
  roles: ['Mail.ReadWrite', 'Mail.Send'],
};

/** Error codes of injected failures unless a test names one. */
const FAIL_CODES: Record<number, string> = {
  500: 'InternalServerError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

/** CA files this process wrote; removed at exit even when a test forgets stop(). */
const ownedCaFiles = new Set<string>();
process.once('exit', () => {
  for (const file of ownedCaFiles) fs.rmSync(file, { force: true });
});

function copyApp(app: AppRegistration): AppRegistration {
  return {
    clientId: app.clientId,
    secrets: app.secrets?.map((s) => ({ ...s })),
    certificates: app.certificates ? [...app.certificates] : undefined,
    roles: [...app.roles],
    deniedMailboxes: app.deniedMailboxes ? [...app.deniedMailboxes] : undefined,
    displayName: app.displayName,
    signInAudience: app.signInAudience,
    redirectUris: app.redirectUris?.map((r) => ({ ...r })),
    allowPublicClientFlows: app.allowPublicClientFlows,
    assignedUsers: app.assignedUsers ? [...app.assignedUsers] : undefined,
  };
}

/** A running simulator; see README.md in this folder for the control API. */
export class Simulator {
  url = '';
  readonly tenantId: string;
  readonly tenantDomain: string;
  ca = '';
  caFile = '';
  readonly app: AppRegistration;
  private readonly state: SimState;
  private readonly store: MailStore;
  private readonly identity: Identity;
  private readonly delegated: DelegatedIdentity;
  private readonly transport: Transport;
  private readonly timers = new Set<NodeJS.Timeout>();
  private arrivalCount = 0;
  private ownsCaFile = false;

  /** Use startSimulator(); the constructor does not listen. */
  constructor(private readonly options: SimulatorOptions = {}) {
    this.tenantId = options.tenantId ?? DEFAULT_TENANT_ID;
    this.tenantDomain = (options.tenantDomain ?? DEFAULT_TENANT_DOMAIN).toLowerCase();
    const lifetime = options.tokenLifetimeSec ?? 3600;
    if (!Number.isFinite(lifetime) || lifetime <= 0)
      throw new Error(`simulator: tokenLifetimeSec must be > 0, got ${lifetime}`);
    const apps = (options.apps?.length ? options.apps : [DEFAULT_APP]).map(copyApp);
    this.app = apps[0];
    this.store = new MailStore(this.tenantDomain);
    this.identity = new Identity({
      tenantId: this.tenantId,
      tenantDomain: this.tenantDomain,
      apps,
      tokenLifetimeSec: lifetime,
      url: () => this.url,
    });
    this.state = new SimState(this.store, this.identity, {
      latencyMs: options.latencyMs ?? 0,
      concurrencyLimit: options.concurrencyLimit ?? 4,
      rateLimit: options.rateLimit ?? null,
      seed: options.seed,
      uploadLimit: options.uploadLimit,
    });
    this.state.subscriptions = new Subscriptions(this.state, this.tenantId);
    this.delegated = new DelegatedIdentity({
      identity: this.identity,
      store: this.store,
      tenantId: this.tenantId,
      tenantDomain: this.tenantDomain,
      url: () => this.url,
      tokenLifetimeSec: lifetime,
      authCodeLifetimeSec: positive(options.authCodeLifetimeSec, 600, 'authCodeLifetimeSec'),
      deviceCodeLifetimeSec: positive(options.deviceCodeLifetimeSec, 900, 'deviceCodeLifetimeSec'),
      deviceCodeIntervalSec: positive(options.deviceCodeIntervalSec, 5, 'deviceCodeIntervalSec'),
    });
    this.state.delegated = this.delegated;
    this.identity.opaqueClaims = (token) => this.delegated.opaqueClaims(token);
    if (options.quirks) this.setQuirks(options.quirks);
    if (options.messageDelta !== undefined) this.setMessageDelta(options.messageDelta);
    if (options.moveKeepsLastModified !== undefined)
      this.setMoveKeepsLastModified(options.moveKeepsLastModified);
    if (options.maxRequestBytes !== undefined) this.setMaxRequestBytes(options.maxRequestBytes);
    if (options.maxMessageBytes !== undefined) this.setMaxMessageSize(options.maxMessageBytes);
    if (options.uploadLimit !== undefined) this.setUploadLimit(options.uploadLimit);
    this.transport = new Transport(this.state);
    for (const mailbox of options.mailboxes ?? [`user@${this.tenantDomain}`]) this.addMailbox(mailbox);
  }

  /** Generates or loads the certificate, writes the CA file and starts listening. */
  async start(): Promise<this> {
    const cert = await serverCertificate();
    this.ca = cert.cert;
    // Test HTTPS fronts for notification URLs use this certificate too.
    this.trustNotificationCa([cert.cert]);
    this.ownsCaFile = !this.options.caFile;
    this.caFile =
      this.options.caFile ?? path.join(os.tmpdir(), `o365-sim-ca-${process.pid}-${Date.now()}.pem`);
    fs.writeFileSync(this.caFile, cert.cert);
    if (this.ownsCaFile) ownedCaFiles.add(this.caFile);
    const port = await this.transport.listen(cert, this.options.port ?? 0);
    this.url = `https://127.0.0.1:${port}`;
    this.state.baseUrl = this.url;
    return this;
  }

  get authorityHost(): string {
    return this.url;
  }

  get graphEndpoint(): string {
    return this.url;
  }

  get counters(): Counters {
    return this.state.counters;
  }

  get requests(): RequestRecord[] {
    return this.state.requests;
  }

  get schemaViolations(): SchemaViolation[] {
    return this.state.schemaViolations;
  }

  get sent(): SentRecord[] {
    return this.state.sent;
  }

  /** The OpenID configuration document (for msal's authorityMetadata) without an HTTP request. */
  openidConfiguration(tenant: string = this.tenantId): Record<string, unknown> {
    return this.identity.openidConfiguration(tenant);
  }

  /** Requests the simulator is still carrying out, including those whose client gave up (timed out, aborted). */
  get requestsInFlight(): number {
    return this.transport.requestsInFlight;
  }

  /**
   * Waits until no request is being carried out (at most `timeoutMs`, then throws): Graph finishes a request its
   * client gave up on, so a test that provokes that waits here before the next test counts sends or requests.
   */
  async idle(timeoutMs = 10_000): Promise<void> {
    if (!(await this.transport.idle(timeoutMs)))
      throw new Error(`simulator: still ${this.requestsInFlight} request(s) in flight after ${timeoutMs} ms`);
  }

  /** Zeroes the counters and clears the request log and schema violations. */
  resetCounters(): void {
    this.state.counters = emptyCounters();
    this.state.requests = [];
    this.state.schemaViolations = [];
    this.state.subscriptions.delivery.records.length = 0;
  }

  // ---- faults and load ----

  throttleNext(n: number, opts: { retryAfter?: number | null; match?: FaultMatch } = {}): void {
    this.state.faults.add({
      kind: 'throttle',
      remaining: n,
      match: opts.match ?? {},
      retryAfter: opts.retryAfter === undefined ? 1 : opts.retryAfter,
    });
  }

  failNext(
    n: number,
    status: number,
    opts: { code?: string; retryAfter?: number | null; match?: FaultMatch } = {},
  ): void {
    if (!Number.isInteger(status) || status < 400 || status > 599)
      throw new Error(`simulator: failNext status must be 400-599, got ${status}`);
    const rule: FaultRule = {
      kind: 'fail',
      remaining: n,
      match: opts.match ?? {},
      status,
      code: opts.code ?? FAIL_CODES[status] ?? 'UnknownError',
      retryAfter: opts.retryAfter === undefined ? null : opts.retryAfter,
    };
    this.state.faults.add(rule);
  }

  /**
   * The next n matching operations take effect (a mail is sent, a chunk stored, a message moved), then answer `status`
   * (default codes as failNext). Models "processed, then answered 503/504".
   */
  failAfterNext(
    n: number,
    status: number,
    opts: { code?: string; retryAfter?: number | null; match?: FaultMatch } = {},
  ): void {
    if (!Number.isInteger(status) || status < 400 || status > 599)
      throw new Error(`simulator: failAfterNext status must be 400-599, got ${status}`);
    this.state.faults.add({
      kind: 'failAfter',
      remaining: n,
      match: opts.match ?? {},
      status,
      code: opts.code ?? FAIL_CODES[status] ?? 'UnknownError',
      retryAfter: opts.retryAfter === undefined ? null : opts.retryAfter,
    });
  }

  dropNext(n: number, opts: { after?: boolean; match?: FaultMatch } = {}): void {
    this.state.faults.add({
      kind: 'drop',
      remaining: n,
      match: opts.match ?? {},
      after: opts.after ?? false,
    });
  }

  slowNext(n: number, delayMs: number, opts: { match?: FaultMatch } = {}): void {
    if (!(delayMs >= 0)) throw new Error(`simulator: slowNext delayMs must be >= 0, got ${delayMs}`);
    this.state.faults.add({ kind: 'slow', remaining: n, match: opts.match ?? {}, delayMs });
  }

  malformedNext(n: number, opts: { match?: FaultMatch } = {}): void {
    this.state.faults.add({ kind: 'malformed', remaining: n, match: opts.match ?? {} });
  }

  setTokenOutage(on: boolean): void {
    this.identity.outage = on;
  }

  expireTokens(): void {
    this.identity.expireAll();
  }

  expireUploadSessions(): void {
    for (const session of this.state.uploads.values()) session.expired = true;
  }

  invalidateDeltaTokens(): void {
    this.state.deltaGeneration++;
  }

  /** The next n delta requests that carry a saved nextLink or deltaLink answer 410 syncStateNotFound. */
  staleNextDeltaLinks(n: number): void {
    if (!Number.isInteger(n) || n < 0)
      throw new Error(`simulator: staleNextDeltaLinks needs n >= 0, got ${n}`);
    this.state.staleDeltaLinks += n;
  }

  // ---- quirks and tenant limits ----

  /** Turns nondeterministic quirks on or off (merged into the current ones); see quirks.ts and README.md. */
  setQuirks(quirks: Partial<Quirks>): void {
    checkQuirks(quirks);
    this.state.quirks = {
      ...this.state.quirks,
      ...quirks,
      largePage:
        quirks.largePage === undefined
          ? this.state.quirks.largePage
          : quirks.largePage && { ...quirks.largePage },
    };
  }

  /** The quirks in force (a copy). */
  get quirks(): Quirks {
    const q = this.state.quirks;
    return { ...q, largePage: q.largePage && { ...q.largePage } };
  }

  /** Restarts the quirks' generator, so a run repeats exactly. */
  reseed(seed: number): void {
    this.state.random.reseed(seed);
  }

  /** false: a cloud without message delta (21Vianet); the delta route answers 400 ErrorInvalidIdMalformed. */
  setMessageDelta(on: boolean): void {
    this.state.messageDelta = on;
  }

  /** true: a move keeps lastModifiedDateTime and changeKey (undocumented; the default stamps new ones). */
  setMoveKeepsLastModified(on: boolean): void {
    this.state.moveKeepsLastModified = on;
  }

  /** The largest request body accepted (413 above); default 4 MiB. Lower it to model a tighter effective limit. */
  setMaxRequestBytes(bytes: number): void {
    if (!Number.isInteger(bytes) || bytes < 1)
      throw new Error(`simulator: maxRequestBytes must be a whole number > 0, got ${bytes}`);
    this.state.maxRequestBytes = bytes;
  }

  /** Exchange's maximum message size (MaxSendSize) for one mailbox, or the default for all; 35 MiB unless set. */
  setMaxMessageSize(bytes: number, mailbox?: string): void {
    if (!Number.isInteger(bytes) || bytes < 1 || bytes > 150 * 1024 * 1024)
      throw new Error(`simulator: max message size must be 1 byte to 150 MiB, got ${bytes}`);
    if (mailbox) this.state.maxMessageBytesByMailbox.set(this.store.mailbox(mailbox).address, bytes);
    else this.state.maxMessageBytes = bytes;
  }

  /** The request, message and upload limits in force (for one mailbox's message size when named). */
  tenantLimits(mailbox?: string): {
    maxRequestBytes: number;
    maxMessageBytes: number;
    uploadLimit: { bytes: number; windowMs: number } | null;
  } {
    const upload = this.state.uploadVolume.limit;
    return {
      maxRequestBytes: this.state.maxRequestBytes,
      maxMessageBytes: mailbox
        ? this.state.maxMessageSize(this.store.mailbox(mailbox).address)
        : this.state.maxMessageBytes,
      uploadLimit: upload && { ...upload },
    };
  }

  /** Upload volume per app and mailbox (PATCH/POST/PUT bodies); null = unlimited. Default 150 MiB per 5 minutes. */
  setUploadLimit(limit: { bytes: number; windowMs: number } | null): void {
    if (limit && (!(limit.bytes > 0) || !(limit.windowMs > 0)))
      throw new Error('simulator: upload limit needs bytes > 0 and windowMs > 0');
    this.state.uploadVolume.limit = limit && { ...limit };
    this.state.uploadVolume.clear();
  }

  setLatency(ms: number): void {
    if (!(ms >= 0)) throw new Error(`simulator: latency must be >= 0, got ${ms}`);
    this.state.limits.latencyMs = ms;
  }

  setConcurrencyLimit(n: number): void {
    if (!Number.isInteger(n) || n < 0)
      throw new Error(`simulator: concurrency limit must be a whole number >= 0, got ${n}`);
    this.state.limits.concurrencyLimit = n;
  }

  setRateLimit(rate: RateLimit | null): void {
    if (rate && (!(rate.operations > 0) || !(rate.windowMs > 0))) {
      throw new Error('simulator: rate limit needs operations > 0 and windowMs > 0');
    }
    this.state.limits.rateLimit = rate ? { ...rate } : null;
  }

  setRoles(clientId: string, roles: string[]): void {
    const app = this.identity.app(clientId);
    if (!app) throw new Error(`simulator: no app registration '${clientId}'`);
    app.roles = [...roles];
  }

  /** Lets `mailbox` send with `from` set to `address` (Exchange "Send As" permission). */
  grantSendAs(mailbox: string, address: string): void {
    this.store.mailbox(mailbox).sendAs.add(address.toLowerCase());
  }

  // ---- change notifications ----

  /** Snapshot of the active subscriptions of every app (clientState included: this is the test's view). */
  subscriptions(): SimSubscription[] {
    return this.state.subscriptions.active().map((s) => ({ ...s }));
  }

  /** Raises a lifecycle event (reauthorizationRequired pauses notifications, subscriptionRemoved deletes). */
  raiseLifecycleEvent(subscriptionId: string, event: LifecycleEvent): void {
    this.state.subscriptions.raise(subscriptionId, event);
  }

  /** Delay, loss and duplication of change notifications; Graph's own: no delay, no loss. */
  setNotifications(behaviour: Partial<NotificationBehaviour>): void {
    const next = { ...this.state.subscriptions.delivery.behaviour, ...behaviour };
    const share = (n: number) => n >= 0 && n <= 1;
    if (
      !(next.delayMs >= 0) ||
      !share(next.lossRate) ||
      !share(next.duplicateRate) ||
      !(next.maxBatch >= 1)
    ) {
      throw new Error(`simulator: invalid notification behaviour ${JSON.stringify(behaviour)}`);
    }
    this.state.subscriptions.delivery.behaviour = next;
  }

  /** Graph's push timings (validation timeout, slow-endpoint rule, retries); tests compress them. */
  setPushTiming(timing: Partial<PushTiming>): void {
    const delivery = this.state.subscriptions.delivery;
    delivery.timing = { ...delivery.timing, ...timing };
  }

  /** Maximum lifetime, per-mailbox limit, list page size, and the test control that shortens granted lifetimes. */
  setSubscriptionLimits(limits: Partial<SubscriptionLimits>): void {
    Object.assign(this.state.subscriptions.limits, limits);
  }

  /** CA certificates (PEM) the simulator trusts when it calls notification URLs, besides Node's roots. */
  trustNotificationCa(certificates: string[]): void {
    this.state.subscriptions.delivery.trust(certificates);
  }

  /** Validation requests and notifications sent (or lost, dropped), oldest first. */
  get deliveries(): DeliveryRecord[] {
    return this.state.subscriptions.delivery.records;
  }

  /** Notifications waiting to be sent (delayed, throttled or retried). */
  get pendingNotifications(): number {
    return this.state.subscriptions.delivery.pending;
  }

  /** 'normal', 'throttled' (delayed) or 'dropping', by Graph's slow-endpoint rule. */
  notificationEndpointState(url: string): 'normal' | 'throttled' | 'dropping' {
    return this.state.subscriptions.delivery.endpointState(url);
  }

  // ---- delegated sign-in ----

  private appOf(clientId: string): AppRegistration {
    const app = this.identity.app(clientId);
    if (!app) throw new Error(`simulator: no app registration '${clientId}'`);
    return app;
  }

  private userOf(address: string) {
    return this.delegated.user(this.store.mailbox(address));
  }

  /** Registers a redirect URI: `publicClient` (mobile and desktop, no secret) or `web` (the secret redeems codes). */
  addRedirectUri(clientId: string, uri: string, platform: RedirectUri['platform'] = 'publicClient'): void {
    const app = this.appOf(clientId);
    app.redirectUris = [...(app.redirectUris ?? []).filter((r) => r.uri !== uri), { uri, platform }];
  }

  /** "Allow public client flows" (the device code flow needs it). */
  setPublicClientFlows(clientId: string, allowed: boolean): void {
    this.appOf(clientId).allowPublicClientFlows = allowed;
  }

  /** Who may sign in to the app; `AzureADandPersonalMicrosoftAccount` lets Outlook.com accounts in. */
  setSignInAudience(clientId: string, audience: SignInAudience): void {
    this.appOf(clientId).signInAudience = audience;
  }

  /** Assignment required: only these users may sign in (others get AADSTS50105); null lifts it. */
  assignUsers(clientId: string, users: string[] | null): void {
    this.appOf(clientId).assignedUsers = users ? [...users] : undefined;
  }

  /** The owner of `mailbox` gives `delegate` access: read, readWrite (Full Access) and/or send (Send As). */
  grantMailboxAccess(mailbox: string, delegate: string, rights: ('read' | 'readWrite' | 'send')[]): void {
    const box = this.store.mailbox(mailbox);
    box.delegates ??= new Map();
    box.delegates.set(this.store.mailbox(delegate).userId, new Set(rights));
  }

  /** The user's consent for the app: every permission (refresh then answers AADSTS65001) or some (AADSTS70000). */
  revokeConsent(user: string, clientId: string, scopes?: string[]): void {
    this.delegated.revokeConsent(this.userOf(user).mailbox.userId, clientId, scopes);
  }

  /** Grants consent without the consent page (as if the user had accepted before). */
  grantConsent(user: string, clientId: string, scopes: string[]): void {
    this.delegated.grantConsent(this.userOf(user).mailbox.userId, clientId, scopes);
  }

  /** An admin revoked the user's sessions: every refresh token issued so far answers AADSTS50173. */
  revokeSignInSessions(user: string): void {
    this.userOf(user).tokensValidFrom = Date.now() + 1;
  }

  /** The user changed or reset the password: public-client refresh tokens answer AADSTS50173, web ones stay valid. */
  resetPassword(user: string): void {
    this.userOf(user).passwordChangedAt = Date.now() + 1;
  }

  /** The user's refresh tokens (or everyone's) were last used over 90 days ago: AADSTS700082 next time. */
  expireRefreshTokensByInactivity(user?: string): void {
    this.delegated.ageRefreshTokens(user ? this.userOf(user).mailbox.userId : undefined);
  }

  /** Multifactor authentication required (AADSTS50076) or to be registered (50079); false lifts it. */
  requireMfa(user: string, kind: 'mfa' | 'register' | false = 'mfa'): void {
    this.userOf(user).mfa = kind;
  }

  /** A Conditional Access policy blocks the device code flow (AADSTS53003 after the user signs in). */
  blockDeviceCodeFlow(on: boolean): void {
    this.delegated.deviceCodeBlocked = on;
  }

  /** Whether users may consent to apps themselves (off: "Need admin approval", AADSTS90094). */
  setUserConsent(allowed: boolean): void {
    this.delegated.userConsentAllowed = allowed;
  }

  /** The next n device code polls answer slow_down (each adds 5 s to the interval, RFC 8628). */
  slowDownNext(n: number): void {
    this.delegated.forcedSlowDowns = n;
  }

  /** Stricter than Entra (a test aid): a refresh token that was replaced by a newer one is refused. */
  setStrictRefreshRotation(on: boolean): void {
    this.delegated.strictRotation = on;
  }

  /** Every outstanding authorization code is expired (AADSTS70008 when redeemed). */
  expireAuthorizationCodes(): void {
    this.delegated.expireCodes();
  }

  /** Each refresh token redemption: whether the client used the newest token of its sign-in, and the outcome. */
  get refreshTokenUses(): RefreshTokenUse[] {
    return this.delegated.refreshTokenUses;
  }

  /** Every refresh token, authorization code, device code and opaque access token issued (for secret scans). */
  issuedSecrets(): {
    refreshTokens: string[];
    codes: string[];
    deviceCodes: string[];
    opaqueAccessTokens: string[];
  } {
    return this.delegated.issuedSecrets();
  }

  /** The user code of the newest pending device code (what a user reads off the screen). */
  pendingUserCodes(): string[] {
    return [...this.delegated.devices.values()].filter((d) => d.state === 'pending').map((d) => d.userCode);
  }

  clearFaults(): void {
    this.state.faults.clear();
    this.state.staleDeltaLinks = 0;
    this.identity.outage = false;
  }

  // ---- data ----

  /** A mailbox and its user; `personal` makes it a personal Microsoft account (Outlook.com) instead of a work one. */
  addMailbox(address: string, opts: { state?: 'active' | 'inactive'; personal?: boolean } = {}): void {
    const mailbox = this.store.addMailbox(address, opts.state ?? 'active');
    if (opts.personal !== undefined) this.delegated.user(mailbox).personal = opts.personal;
  }

  userId(address: string): string {
    return this.store.mailbox(address).userId;
  }

  addFolder(mailbox: string, parent: string, displayName: string): string {
    const box = this.store.mailbox(mailbox);
    const parentFolder = this.store.folderByPath(box, parent);
    const existing = this.store
      .childFolders(box, parentFolder)
      .find((f) => f.displayName.toLowerCase() === displayName.toLowerCase());
    return (existing ?? this.store.createFolder(box, parentFolder, displayName)).id;
  }

  folderId(mailbox: string, pathOrWellKnown: string): string {
    const box = this.store.mailbox(mailbox);
    return this.store.folderByPath(box, pathOrWellKnown).id;
  }

  addMessage(mailbox: string, folder: string, seed: SeedMessage = {}): string {
    const box = this.store.mailbox(mailbox);
    const target = this.store.folderByPath(box, folder);
    const message = this.store.fromSeed(box, seed);
    return this.store.insert(box, target, message).message.id;
  }

  /**
   * A mail that arrives now but carries an old receivedDateTime (default 2 h ago, older than seeded mail): a large mail
   * delivered late. It shows up in the next delta round although older mail was already reported.
   */
  deliverLate(mailbox: string, folder: string, seed: SeedMessage = {}, ageMs = 2 * 3600 * 1000): string {
    return this.addMessage(mailbox, folder, {
      ...seed,
      receivedDateTime: seed.receivedDateTime ?? new Date(Date.now() - ageMs).toISOString(),
    });
  }

  /**
   * Moves a message as a user (or a rule, or a restore from Deleted Items) would: a new id in the destination, the same
   * receivedDateTime. Returns the new id.
   */
  moveMessage(mailbox: string, id: string, folder: string): string {
    const box = this.store.mailbox(mailbox);
    const record = box.messages.get(id);
    if (!record) throw new Error(`simulator: no message '${id}' in ${mailbox}`);
    const destination = this.store.folderByPath(box, folder);
    this.store.remove(box, id);
    const moved = this.store.insert(box, destination, { ...record.message, id: exchangeId() });
    this.store.touch(moved, { keepLastModified: this.state.moveKeepsLastModified });
    return moved.message.id;
  }

  /** Deletes a message for good, as a person emptying Deleted Items would (no Graph request). */
  deleteMessage(mailbox: string, id: string): void {
    const box = this.store.mailbox(mailbox);
    if (!this.store.remove(box, id)) throw new Error(`simulator: no message '${id}' in ${mailbox}`);
  }

  seedMessages(mailbox: string, folder: string, n: number, make?: (i: number) => SeedMessage): string[] {
    const ids: string[] = [];
    for (let i = 0; i < n; i++)
      ids.push(this.addMessage(mailbox, folder, make ? make(i) : { subject: `Test mail ${i + 1}` }));
    return ids;
  }

  /** Snapshot of the messages of a mailbox (or one folder), newest first. */
  messages(mailbox: string, folder?: string): StoredMessage[] {
    const box = this.store.mailbox(mailbox);
    const records = folder
      ? [...this.store.folderRecords(box, this.store.folderByPath(box, folder))]
      : this.store.allRecords(box);
    return records.map((r) => cloneMessage(r.message));
  }

  getMessage(mailbox: string, id: string): StoredMessage | undefined {
    const record = this.store.mailbox(mailbox).messages.get(id);
    return record ? cloneMessage(record.message) : undefined;
  }

  /** Adds a new unread mail to the inbox every `everyMs` until stop(). */
  startArrivals(mailbox: string, everyMs: number): void {
    if (!(everyMs > 0)) throw new Error(`simulator: arrival interval must be > 0, got ${everyMs}`);
    this.store.mailbox(mailbox);
    const timer = setInterval(() => {
      this.arrivalCount++;
      this.addMessage(mailbox, 'inbox', {
        subject: `New order #${1000 + this.arrivalCount}`,
        from: { name: 'Order desk', address: `orders@${this.tenantDomain}` },
        body: `<p>Order <b>#${1000 + this.arrivalCount}</b> arrived at ${new Date().toISOString()}.</p>`,
        bodyType: 'html',
        receivedDateTime: new Date().toISOString(),
      });
    }, everyMs);
    timer.unref();
    this.timers.add(timer);
  }

  /** Closes the server and every socket at once and stops timers. */
  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers.clear();
    this.state.subscriptions.delivery.stop();
    await this.transport.close();
    if (this.ownsCaFile) {
      fs.rmSync(this.caFile, { force: true });
      ownedCaFiles.delete(this.caFile);
    }
  }
}

function positive(value: number | undefined, fallback: number, name: string): number {
  const n = value ?? fallback;
  if (!Number.isFinite(n) || n <= 0) throw new Error(`simulator: ${name} must be > 0, got ${n}`);
  return n;
}

/** Starts a simulator listening on 127.0.0.1 (random port unless options.port). */
export async function startSimulator(options?: SimulatorOptions): Promise<Simulator> {
  return new Simulator(options).start();
}
