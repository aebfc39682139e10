/**
 * Typed errors for everything between a node and Microsoft 365. One family, `O365Error`, with a class for each place a
 * failure comes from, so a reader knows what a catch receives:
 * - `ConfigError`: a setting cannot work (`property` names it); nothing was asked of Microsoft;
 * - `TokenError`: the identity platform gave no token (AADSTS code, msal code, or the transport's failure);
 * - `NetworkError`: Graph gave no answer (timeout, connection failed or dropped);
 * - `GraphError`: Graph answered with an error (HTTP status, Graph code, request id, Retry-After).
 * Callers branch on `code` (src/graph/error-codes.ts) and `reason`, never on messages. Messages are short, say what
 * to do, keep the AADSTS or Graph code and the request id, and never contain a secret.
 */
import { permissionFor } from './delegated-permissions';
import { AadstsCodes, ErrorCodes, ErrorReason, GraphCodes, MsalCodes, TimeoutCodes } from './error-codes';

export type { ErrorReason } from './error-codes';

export type ErrorSource = 'token' | 'graph' | 'network' | 'config';

export interface ErrorDetails {
  code: string;
  reason: ErrorReason;
  status?: number;
  requestId?: string;
  retryAfterMs?: number;
  /** What a user can do about it; the message is built from it. */
  hint?: string;
  /** Graph's or Entra's own message, trimmed (no secrets: neither service echoes one). */
  serviceMessage?: string;
}

/** A missing folder: which segment of which path, in which mailbox. */
export interface MissingFolder {
  segment: string;
  path: string;
  mailbox: string;
}

/** The family of errors talking to Microsoft 365: settings, sign-in, network or Graph (see the subclasses). */
export abstract class O365Error extends Error implements ErrorDetails {
  abstract readonly source: ErrorSource;
  declare readonly code: string;
  declare readonly reason: ErrorReason;
  declare readonly status?: number;
  declare readonly requestId?: string;
  declare readonly retryAfterMs?: number;
  declare readonly hint?: string;
  declare readonly serviceMessage?: string;

  constructor(details: ErrorDetails, message: string) {
    super(message);
    const { code, reason, status, requestId, retryAfterMs, hint, serviceMessage } = details;
    Object.assign(this, { code, reason, status, requestId, retryAfterMs, hint, serviceMessage });
  }
}

/**
 * The failure of one piece of a node's work (a mail to send, an action on a mail), made from the failure's fields
 * (which it carries) and its text; the Microsoft 365 error behind it, when there is one, is kept as `o365Error`.
 */
export abstract class WorkError<F extends object> extends Error {
  /** The settings, sign-in, network or Graph error that caused it (for the status reason and account problems). */
  readonly o365Error?: O365Error;

  constructor(name: string, failure: F, text: string, cause?: unknown) {
    super(text, cause === undefined ? undefined : { cause });
    this.name = name;
    Object.assign(this, failure);
    if (cause instanceof O365Error) this.o365Error = cause;
  }
}

/** Graph answered a request with an error (or an unreadable success). */
export class GraphError extends O365Error {
  readonly source = 'graph' as const;
  /** Set for `FolderNotFound`: the segment that does not exist. */
  readonly folder?: MissingFolder;
  /** Set for a delegated account's 403: the permission its sign-in lacks (a new sign-in can add it). */
  readonly permission?: string;

  constructor(details: ErrorDetails & { folder?: MissingFolder; permission?: string }) {
    super(details, serviceText(details));
    this.name = 'GraphError';
    this.folder = details.folder;
    this.permission = details.permission;
  }
}

/** The identity platform gave no token. */
export class TokenError extends O365Error {
  readonly source = 'token' as const;

  constructor(details: ErrorDetails) {
    super(details, serviceText(details));
    this.name = 'TokenError';
  }
}

/** Graph gave no answer: a timeout, a connection that failed or dropped. */
export class NetworkError extends O365Error {
  readonly source = 'network' as const;

  constructor(details: ErrorDetails) {
    super(details, serviceText(details));
    this.name = 'NetworkError';
  }
}

/** A setting that cannot work (missing tenant, http endpoint, bad key, unknown action...); `property` names it. */
export class ConfigError extends O365Error {
  readonly source = 'config' as const;
  /** The node property at fault (`tenantId`, `moveTo`, `cron`...), when one is. */
  readonly property?: string;
  /** The problem without the property's label, for catalogue texts that add their own (e.g. the cron parser's). */
  readonly detail?: string;

  constructor(
    message: string,
    options: { property?: string; detail?: string; code?: string; reason?: ErrorReason } = {},
  ) {
    const details = {
      code: options.code ?? ErrorCodes.configInvalid,
      reason: options.reason ?? 'config-invalid',
      hint: message,
    };
    super(details, message);
    this.name = 'ConfigError';
    this.property = options.property;
    this.detail = options.detail;
  }
}

/** "hint (code, HTTP status, request-id ...)": what to do, then what identifies the failure. */
function serviceText(d: ErrorDetails): string {
  const text = d.hint ?? d.serviceMessage ?? d.code;
  const parts = [d.code];
  if (d.status) parts.push(`HTTP ${d.status}`);
  if (d.requestId) parts.push(`request-id ${d.requestId}`);
  return `${text} (${parts.join(', ')})`;
}

/** The text of any thrown value, for logs, warnings and error messages (O365Error messages carry no secret). */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const AADSTS_HINTS: Record<string, { reason: ErrorReason; hint: string }> = {
  [AadstsCodes.secretWrong]: {
    reason: 'secret-wrong',
    hint: "The client secret is wrong; check you copied the secret's Value, not its Secret ID",
  },
  [AadstsCodes.secretExpired]: {
    reason: 'secret-expired',
    hint: 'The client secret has expired; create a new one under Certificates & secrets and paste its Value',
  },
  [AadstsCodes.appNotFound]: {
    reason: 'app-not-found',
    hint: 'No application with this id in the tenant; check the Application (client) ID and the tenant, and that the app is not deleted',
  },
  [AadstsCodes.tenantNotFound]: {
    reason: 'tenant-not-found',
    hint: 'Tenant not found; check the Directory (tenant) ID or domain and the cloud',
  },
  [AadstsCodes.tenantInvalid]: {
    reason: 'tenant-not-found',
    hint: 'The tenant id is not a valid GUID or domain; check the Directory (tenant) ID',
  },
  [AadstsCodes.certificateRejected]: {
    reason: 'certificate-rejected',
    hint: 'The certificate was rejected; upload the certificate (.cer/.pem) to the app registration and check the private key and thumbprint belong to it',
  },
  [AadstsCodes.assertionOutOfTime]: {
    reason: 'certificate-rejected',
    hint: "The client assertion is not within its valid time range; check this machine's clock",
  },
  [AadstsCodes.scopeInvalid]: {
    reason: 'scope-invalid',
    hint: 'The scope is not valid for this cloud; check the cloud and Graph endpoint',
  },
  [AadstsCodes.scopeInvalidForCloud]: {
    reason: 'scope-invalid',
    hint: 'The scope is not valid for this cloud; check the cloud and Graph endpoint',
  },
  [AadstsCodes.appDisabled]: {
    reason: 'app-not-found',
    hint: 'The application is disabled in this tenant; an administrator must enable it',
  },
  [AadstsCodes.signInUnavailable]: {
    reason: 'unavailable',
    hint: 'The sign-in service is unavailable; it will be retried (after an outage msal waits up to 60 s)',
  },
  [AadstsCodes.graphNotInTenant]: {
    reason: 'scope-invalid',
    hint: 'Microsoft Graph was not found in this tenant; check the cloud and Graph endpoint',
  },
};

/** The fields of an msal error (AuthError, ServerError, InteractionRequiredAuthError) the mappings read. */
export interface MsalErrorLike {
  errorCode?: string;
  errorMessage?: string;
  message?: string;
  /** The AADSTS number Entra gave in `error_codes`. */
  errorNo?: string | number;
  subError?: string;
  status?: number;
  correlationId?: string;
}

/**
 * Maps a failed token request to a TokenError: by the AADSTS number msal read from Entra's `error_codes`, else by
 * msal's `errorCode`; for msal's `network_error`, by the transport failure the network client kept (`transport`).
 */
export function tokenError(err: unknown, transport?: unknown): O365Error {
  if (err instanceof O365Error) return err;
  const e = (err ?? {}) as MsalErrorLike;
  const serviceMessage = firstLine(String(e.errorMessage || e.message || ''));
  const aadsts = e.errorNo ? String(e.errorNo) : undefined;
  const known = aadsts ? AADSTS_HINTS[aadsts] : undefined;
  const base = { status: e.status, requestId: e.correlationId, serviceMessage };
  if (aadsts && known) {
    return new TokenError({ ...base, code: `AADSTS${aadsts}`, reason: known.reason, hint: known.hint });
  }
  if (e.errorCode === MsalCodes.networkError) {
    const code = (transport as { code?: unknown } | undefined)?.code;
    if (typeof code === 'string' && TimeoutCodes.includes(code)) {
      return new TokenError({
        code: ErrorCodes.tokenTimeout,
        reason: 'timeout',
        hint: 'The sign-in service did not answer in time',
      });
    }
    const why =
      transport instanceof Error && transport.message ? firstLine(transport.message) : serviceMessage;
    return new TokenError({
      code: ErrorCodes.tokenNetworkError,
      reason: 'network',
      hint: `Cannot reach the sign-in service (${why}); check the network, proxy and cloud`,
    });
  }
  const unavailable = e.status !== undefined && e.status >= 500;
  return new TokenError({
    ...base,
    code: aadsts ? `AADSTS${aadsts}` : e.errorCode || ErrorCodes.tokenError,
    reason: unavailable ? 'unavailable' : 'token-unavailable',
    hint: unavailable
      ? 'The sign-in service is unavailable; it will be retried'
      : `Could not get a token: ${serviceMessage || 'unknown error'}`,
  });
}

/** Graph's error body `{error:{code,message,innerError}}`. */
export interface GraphErrorBody {
  error?: { code?: string; message?: string; innerError?: Record<string, unknown> };
}

/** What the request was for, so a 403 can name the permission it lacks. */
export type MailPermission = 'Mail.Read' | 'Mail.ReadWrite' | 'Mail.Send';

/** A delegated account's grant: the permissions of its token and who signed in. */
export interface DelegatedGrant {
  permissions: string[];
  user?: string;
}

/**
 * Maps a Graph error answer (a response, or one item of a `$batch` answer) to a GraphError with a hint a user can
 * act on.
 */
export function graphError(
  status: number,
  body: unknown,
  headers: Record<string, string>,
  context: { mailbox?: string; permission?: MailPermission; grant?: DelegatedGrant } = {},
): GraphError {
  const error = (body as GraphErrorBody | undefined)?.error ?? {};
  const code = typeof error.code === 'string' ? error.code : `HTTP${status}`;
  const serviceMessage = firstLine(typeof error.message === 'string' ? error.message : '');
  const inner = (error.innerError ?? {}) as Record<string, unknown>;
  const requestId =
    headers['request-id'] || (typeof inner['request-id'] === 'string' ? inner['request-id'] : '');
  const mailbox = context.mailbox ? `mailbox ${context.mailbox}` : 'the mailbox';
  const base = {
    code,
    status,
    requestId: requestId || undefined,
    retryAfterMs: parseRetryAfter(headers['retry-after']),
    serviceMessage,
  };
  const as = (reason: ErrorReason, hint: string) => new GraphError({ ...base, reason, hint });

  if (status === 401) {
    return as(
      'token-unavailable',
      'Graph rejected the access token; check the cloud and Graph endpoint match the tenant',
    );
  }
  if (status === 403 && deniedByAccessPolicy(serviceMessage)) {
    return as(
      'access-policy',
      `An application access policy denies ${mailbox}; add it to the policy's group (Exchange: New-ApplicationAccessPolicy / Test-ApplicationAccessPolicy)`,
    );
  }
  if (status === 403 && context.grant) return delegatedDenial(base, mailbox, context);
  if (status === 403) {
    const permission = context.permission ?? 'Mail.ReadWrite';
    return as(
      'permission-missing',
      `The application lacks ${permission} (an application permission with admin consent) for ${mailbox}`,
    );
  }
  if (status === 404 && code === GraphCodes.mailboxInactive) {
    return as(
      'mailbox-inactive',
      `The ${mailbox} is inactive, soft-deleted or on-premises; Graph can only reach Exchange Online mailboxes`,
    );
  }
  if (status === 404 && GraphCodes.mailboxNotFound.includes(code)) {
    return as(
      'mailbox-not-found',
      `No such mailbox: ${context.mailbox ?? ''}; use the user's UPN, SMTP address or object id`,
    );
  }
  if (status === 404) return as('item-not-found', serviceMessage || 'Not found');
  if (status === 429) return as('throttled', `Graph is throttling ${mailbox}`);
  if (status === 413) return as('bad-request', 'The request is larger than Graph accepts');
  if (status >= 500) return as('unavailable', serviceMessage || 'Graph is unavailable');
  return as('bad-request', serviceMessage || `Graph answered HTTP ${status}`);
}

/**
 * A 403 with a delegated token: either the sign-in lacks the permission (its `.Shared` variant for another user's
 * mailbox), which a new sign-in can add, or the user has no access to that mailbox, which only its owner can give.
 */
function delegatedDenial(
  base: Omit<ErrorDetails, 'reason'>,
  mailbox: string,
  context: { mailbox?: string; permission?: MailPermission; grant?: DelegatedGrant },
): GraphError {
  const grant = context.grant as DelegatedGrant;
  const need =
    context.permission === 'Mail.Send' ? 'send' : context.permission === 'Mail.Read' ? 'read' : 'write';
  const { permission, granted } = permissionFor(need, context.mailbox ?? 'me', grant.permissions, grant.user);
  if (!granted) {
    return new GraphError({
      ...base,
      reason: 'permission-missing',
      permission,
      hint: `The sign-in lacks ${permission}, which ${mailbox} needs; sign in again in the account dialog to grant it`,
    });
  }
  const who = grant.user ?? 'The signed-in user';
  return new GraphError({
    ...base,
    reason: 'permission-missing',
    hint:
      need === 'send'
        ? `${who} may not send as ${mailbox}: its owner (or an Exchange administrator) must give Send As permission`
        : `${who} has no access to ${mailbox}: its owner must share it (Full Access, or the folder) with ${who}, or use me for the signed-in user's own mailbox`,
  });
}

/**
 * An application access policy (RBAC for Applications / ApplicationAccessPolicy) denies the mailbox. Graph answers it
 * with the same 403 ErrorAccessDenied as a missing permission; only its message tells them apart ("Access to OData is
 * disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings", test/simulator/README.md). This is
 * the one place that reads a service's text, because the service gives no code for it.
 */
function deniedByAccessPolicy(serviceMessage: string): boolean {
  return /AccessPolicy|\[RAOP\]/i.test(serviceMessage);
}

/** A request Graph never answered (timeout, refused or dropped connection), by the transport's error code. */
export function networkError(err: unknown): NetworkError {
  const e = (err ?? {}) as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' && e.code ? e.code : undefined;
  const message = typeof e.message === 'string' && e.message ? e.message : 'network error';
  if (code && TimeoutCodes.includes(code)) {
    return new NetworkError({
      code: ErrorCodes.timeout,
      reason: 'timeout',
      hint: 'Graph did not answer in time',
    });
  }
  return new NetworkError({
    code: code ?? ErrorCodes.networkError,
    reason: 'network',
    hint: `Cannot reach Graph (${message})`,
  });
}

/**
 * A request that may have had an effect got no clear answer; of the same class as its cause, keeping its status and
 * Retry-After (a caller that finds out the request did nothing repeats it no earlier than Graph asked).
 */
export function outcomeUnknown(cause: O365Error): O365Error {
  const details: ErrorDetails = {
    code: ErrorCodes.outcomeUnknown,
    reason: 'outcome-unknown',
    status: cause.status,
    requestId: cause.requestId,
    retryAfterMs: cause.retryAfterMs,
    // What happened, in the cause's words ("Graph did not answer in time"), for callers that describe it.
    serviceMessage: cause.hint ?? cause.serviceMessage,
    hint: `Graph may or may not have done it (${cause.hint ?? cause.code}); it was not repeated, so nothing happens twice`,
  };
  return cause instanceof NetworkError ? new NetworkError(details) : new GraphError(details);
}

/**
 * Graph asked for a longer wait (Retry-After) than the request may still wait: failing now is better than retrying
 * early, since Graph keeps counting a throttled client's requests. `retryAfterMs` is what Graph asked.
 */
export function retryAfterTooLong(cause: O365Error, boundMs: number): GraphError {
  const asked = Math.ceil((cause.retryAfterMs ?? 0) / 1000);
  return new GraphError({
    code: ErrorCodes.retryAfterTooLong,
    reason: 'throttled',
    status: cause.status,
    requestId: cause.requestId,
    retryAfterMs: cause.retryAfterMs,
    serviceMessage: cause.serviceMessage,
    hint:
      `Graph asked to wait ${asked} s before trying again (${cause.code}), longer than the ${seconds(boundMs)} s ` +
      'a request may wait in all (o365.retry.maxTotalDelayMs in settings.js); it was not retried early',
  });
}

/** The mailbox's upload volume (150 MB per 5 minutes per app) would need a longer wait than the request may wait. */
export function uploadLimitTooLong(waitMs: number, boundMs: number, mailbox: string | undefined): GraphError {
  return new GraphError({
    code: ErrorCodes.uploadLimit,
    reason: 'throttled',
    retryAfterMs: waitMs,
    hint:
      `Graph takes at most 150 MB of uploads per 5 minutes per app and mailbox; ${mailbox ?? 'the mailbox'} ` +
      `would have room in ${seconds(waitMs)} s, longer than the ${seconds(boundMs)} s a request may wait in all ` +
      '(o365.retry.maxTotalDelayMs in settings.js)',
  });
}

function seconds(ms: number): number {
  return Math.ceil(ms / 1000);
}

/** Anything thrown, as an O365Error (unknown failures keep their text). */
export function asO365Error(err: unknown): O365Error {
  if (err instanceof O365Error) return err;
  return new GraphError({ code: ErrorCodes.unknown, reason: 'unknown', hint: String(err) });
}

/** Retry-After in seconds or as an HTTP date, in milliseconds (undefined when absent or unreadable). */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The first line of a service's text, at most 300 characters. */
export function firstLine(text: string): string {
  const line = text.split(/\r?\n/)[0].trim();
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

/**
 * The item a request named is not there (404), or its id is not an Exchange id at all (400 ErrorInvalidIdMalformed):
 * a mail that moved or was deleted, looked for again by its internetMessageId.
 */
export function isItemGone(err: unknown): boolean {
  if (!(err instanceof O365Error)) return false;
  if (err.reason === 'item-not-found') return true;
  return err instanceof GraphError && err.status === 400 && err.code === GraphCodes.idMalformed;
}
