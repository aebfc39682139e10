/**
 * Typed errors for the identity platform and Graph. Callers branch on `code` and `reason`, never on messages.
 * Messages are short, say what to do, and keep the AADSTS or Graph code and the request id; they never contain a secret.
 */

/** Short, stable keys for a node's red status (translated through the `o365-config.reason.*` catalogue). */
export type ErrorReason =
  | 'secret-wrong'
  | 'secret-expired'
  | 'app-not-found'
  | 'tenant-not-found'
  | 'certificate-rejected'
  | 'scope-invalid'
  | 'permission-missing'
  | 'access-policy'
  | 'mailbox-not-found'
  | 'mailbox-inactive'
  | 'throttled'
  | 'unavailable'
  | 'network'
  | 'timeout'
  | 'token-unavailable'
  | 'item-not-found'
  | 'bad-request'
  | 'outcome-unknown'
  | 'config-invalid'
  | 'unknown';

export type ErrorSource = 'token' | 'graph' | 'network' | 'config';

export interface GraphErrorDetails {
  code: string;
  reason: ErrorReason;
  source: ErrorSource;
  status?: number;
  requestId?: string;
  retryAfterMs?: number;
  hint?: string;
  /** Graph's or Entra's own message, trimmed (no secrets: neither service echoes one). */
  serviceMessage?: string;
}

/** An error talking to Entra ID or Graph, with what a user can do about it. */
export class GraphError extends Error implements GraphErrorDetails {
  readonly code: string;
  readonly reason: ErrorReason;
  readonly source: ErrorSource;
  readonly status?: number;
  readonly requestId?: string;
  readonly retryAfterMs?: number;
  readonly hint?: string;
  readonly serviceMessage?: string;

  constructor(details: GraphErrorDetails) {
    super(formatMessage(details));
    this.name = 'GraphError';
    this.code = details.code;
    this.reason = details.reason;
    this.source = details.source;
    this.status = details.status;
    this.requestId = details.requestId;
    this.retryAfterMs = details.retryAfterMs;
    this.hint = details.hint;
    this.serviceMessage = details.serviceMessage;
  }
}

/** A configuration value that cannot work (missing tenant, http endpoint, bad key...). */
export class ConfigError extends GraphError {
  constructor(message: string) {
    super({ code: 'ConfigInvalid', reason: 'config-invalid', source: 'config', hint: message });
    this.name = 'ConfigError';
  }
}

function formatMessage(d: GraphErrorDetails): string {
  const text = d.hint ?? d.serviceMessage ?? d.code;
  const parts = [d.code];
  if (d.status) parts.push(`HTTP ${d.status}`);
  if (d.requestId) parts.push(`request-id ${d.requestId}`);
  return d.source === 'config' ? text : `${text} (${parts.join(', ')})`;
}

const AADSTS_HINTS: Record<string, { reason: ErrorReason; hint: string }> = {
  '7000215': {
    reason: 'secret-wrong',
    hint: "The client secret is wrong; check you copied the secret's Value, not its Secret ID",
  },
  '7000222': {
    reason: 'secret-expired',
    hint: 'The client secret has expired; create a new one under Certificates & secrets and paste its Value',
  },
  '700016': {
    reason: 'app-not-found',
    hint: 'No application with this id in the tenant; check the Application (client) ID and the tenant, and that the app is not deleted',
  },
  '90002': {
    reason: 'tenant-not-found',
    hint: 'Tenant not found; check the Directory (tenant) ID or domain and the cloud',
  },
  '900023': {
    reason: 'tenant-not-found',
    hint: 'The tenant id is not a valid GUID or domain; check the Directory (tenant) ID',
  },
  '700027': {
    reason: 'certificate-rejected',
    hint: 'The certificate was rejected; upload the certificate (.cer/.pem) to the app registration and check the private key and thumbprint belong to it',
  },
  '700024': {
    reason: 'certificate-rejected',
    hint: "The client assertion is not within its valid time range; check this machine's clock",
  },
  '70011': {
    reason: 'scope-invalid',
    hint: 'The scope is not valid for this cloud; check the cloud and Graph endpoint',
  },
  '1002012': {
    reason: 'scope-invalid',
    hint: 'The scope is not valid for this cloud; check the cloud and Graph endpoint',
  },
  '7000112': {
    reason: 'app-not-found',
    hint: 'The application is disabled in this tenant; an administrator must enable it',
  },
  '90033': {
    reason: 'unavailable',
    hint: 'The sign-in service is unavailable; it will be retried (after an outage msal waits up to 60 s)',
  },
  '500011': {
    reason: 'scope-invalid',
    hint: 'Microsoft Graph was not found in this tenant; check the cloud and Graph endpoint',
  },
};

/** Maps a failed token request (an msal error or a raw Entra error body) to a GraphError. */
export function tokenError(err: unknown): GraphError {
  if (err instanceof GraphError) return err;
  const e = (err ?? {}) as {
    errorCode?: string;
    errorMessage?: string;
    message?: string;
    errorNo?: string;
    status?: number;
    correlationId?: string;
  };
  const text = String(e.errorMessage || e.message || '');
  const aadsts = e.errorNo || /AADSTS(\d+)/.exec(text)?.[1];
  const known = aadsts ? AADSTS_HINTS[aadsts] : undefined;
  const serviceMessage = firstLine(text.replace(/^[a-z_]+:\s*/, ''));
  if (known) {
    return new GraphError({
      code: `AADSTS${aadsts}`,
      reason: known.reason,
      source: 'token',
      status: e.status,
      requestId: e.correlationId,
      hint: known.hint,
      serviceMessage,
    });
  }
  if (/timeout|timed out|ETIMEDOUT/i.test(text)) {
    return new GraphError({
      code: 'TokenTimeout',
      reason: 'timeout',
      source: 'token',
      hint: 'The sign-in service did not answer in time',
    });
  }
  if (
    /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|socket hang up|network|certificate|self[- ]signed/i.test(
      text,
    )
  ) {
    return new GraphError({
      code: 'TokenNetworkError',
      reason: 'network',
      source: 'token',
      hint: `Cannot reach the sign-in service (${serviceMessage}); check the network, proxy and cloud`,
    });
  }
  const status = e.status;
  const unavailable = status !== undefined && status >= 500;
  return new GraphError({
    code: aadsts ? `AADSTS${aadsts}` : e.errorCode || 'TokenError',
    reason: unavailable ? 'unavailable' : 'token-unavailable',
    source: 'token',
    status,
    requestId: e.correlationId,
    hint: unavailable
      ? 'The sign-in service is unavailable; it will be retried'
      : `Could not get a token: ${serviceMessage || 'unknown error'}`,
    serviceMessage,
  });
}

/** Graph's error body `{error:{code,message,innerError}}`. */
export interface GraphErrorBody {
  error?: { code?: string; message?: string; innerError?: Record<string, unknown> };
}

/** What the request was for, so a 403 can name the permission it lacks. */
export type MailPermission = 'Mail.Read' | 'Mail.ReadWrite' | 'Mail.Send';

/** Maps a Graph HTTP error response to a GraphError with a hint a user can act on. */
export function graphError(
  status: number,
  body: unknown,
  headers: Record<string, string>,
  context: { mailbox?: string; permission?: MailPermission } = {},
): GraphError {
  const error = (body as GraphErrorBody | undefined)?.error ?? {};
  const code = typeof error.code === 'string' ? error.code : `HTTP${status}`;
  const serviceMessage = firstLine(typeof error.message === 'string' ? error.message : '');
  const inner = (error.innerError ?? {}) as Record<string, unknown>;
  const requestId =
    headers['request-id'] || (typeof inner['request-id'] === 'string' ? inner['request-id'] : '');
  const retryAfterMs = parseRetryAfter(headers['retry-after']);
  const mailbox = context.mailbox ? `mailbox ${context.mailbox}` : 'the mailbox';
  const base = {
    code,
    status,
    requestId: requestId || undefined,
    retryAfterMs,
    serviceMessage,
    source: 'graph' as const,
  };

  if (status === 401) {
    return new GraphError({
      ...base,
      reason: 'token-unavailable',
      hint: 'Graph rejected the access token; check the cloud and Graph endpoint match the tenant',
    });
  }
  if (status === 403) {
    if (/AccessPolicy|RAOP/i.test(serviceMessage)) {
      return new GraphError({
        ...base,
        reason: 'access-policy',
        hint: `An application access policy denies ${mailbox}; add it to the policy's group (Exchange: New-ApplicationAccessPolicy / Test-ApplicationAccessPolicy)`,
      });
    }
    const permission = context.permission ?? 'Mail.ReadWrite';
    return new GraphError({
      ...base,
      reason: 'permission-missing',
      hint: `The application lacks ${permission} (an application permission with admin consent) for ${mailbox}`,
    });
  }
  if (status === 404 && code === 'MailboxNotEnabledForRESTAPI') {
    return new GraphError({
      ...base,
      reason: 'mailbox-inactive',
      hint: `The ${mailbox} is inactive, soft-deleted or on-premises; Graph can only reach Exchange Online mailboxes`,
    });
  }
  if (
    status === 404 &&
    (code === 'ErrorInvalidUser' || code === 'ResourceNotFound' || /user/i.test(serviceMessage))
  ) {
    return new GraphError({
      ...base,
      reason: 'mailbox-not-found',
      hint: `No such mailbox: ${context.mailbox ?? ''}; use the user's UPN, SMTP address or object id`,
    });
  }
  if (status === 404) {
    return new GraphError({ ...base, reason: 'item-not-found', hint: serviceMessage || 'Not found' });
  }
  if (status === 429) {
    return new GraphError({ ...base, reason: 'throttled', hint: `Graph is throttling ${mailbox}` });
  }
  if (status === 413) {
    return new GraphError({
      ...base,
      reason: 'bad-request',
      hint: 'The request is larger than Graph accepts',
    });
  }
  if (status >= 500) {
    return new GraphError({ ...base, reason: 'unavailable', hint: serviceMessage || 'Graph is unavailable' });
  }
  return new GraphError({
    ...base,
    reason: 'bad-request',
    hint: serviceMessage || `Graph answered HTTP ${status}`,
  });
}

/** Retry-After in seconds or as an HTTP date, in milliseconds (undefined when absent or unreadable). */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function firstLine(text: string): string {
  const line = text.split(/\r?\n/)[0].trim();
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}
