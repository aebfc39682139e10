/**
 * What a config node holds: the checked account, the shared HTTP stack and the shared token cache. Each node gets
 * its own GraphClient (so retry notices reach that node's status) on the same tokens and mailbox limits.
 */
import { Account, AccountSettings, normaliseAccount } from './account';
import { GraphClient, RetrySettings } from './client';
import { DelegatedTokens } from './delegated-tokens';
import { ConfigError } from './errors';
import { createHttpStack, HttpOptions, HttpStack } from './http';
import { MailApi } from './mail-api';
import { CachedTokens, TokenProvider } from './token';
import { TokenStore } from './token-store';
import { RetryNotice } from './types';
import { GRAPH_UPLOAD_LIMIT, type UploadLimit } from './upload-window';

export interface ConnectionOptions extends HttpOptions {
  retry?: Partial<RetrySettings>;
  /** Where a delegated account's sign-in is kept, and under which id (the config node's). */
  signIn?: { store: TokenStore; id: string };
  /** The upload volume the clients pace within (Graph's 150 MB per 5 minutes per app and mailbox by default). */
  uploadLimit?: UploadLimit;
  /** The runtime whose per-mailbox limiter the clients share (GraphClientOptions.runtime; default: this process). */
  runtime?: string;
}

/** The default per-request timeout. */
const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * Reads the optional runtime tuning from Node-RED's settings.js (`o365: { timeoutMs: 60000, retry: { maxAttempts: 8,
 * baseDelayMs: 1000, maxDelayMs: 60000, maxTotalDelayMs: 300000 }, uploadLimit: { bytes: 150000000, windowMs:
 * 300000 } }`; README "Optional tuning"). Unset or invalid values keep the defaults.
 */
export function readConnectionOptions(tuning: unknown): ConnectionOptions {
  const given = (tuning ?? {}) as {
    timeoutMs?: unknown;
    retry?: Record<string, unknown>;
    uploadLimit?: Record<string, unknown>;
  };
  const retry: Partial<RetrySettings> = {};
  for (const key of ['maxAttempts', 'baseDelayMs', 'maxDelayMs', 'maxTotalDelayMs'] as const) {
    const value = positiveNumber(given.retry?.[key]);
    if (value !== undefined) retry[key] = value;
  }
  const bytes = positiveNumber(given.uploadLimit?.bytes);
  const windowMs = positiveNumber(given.uploadLimit?.windowMs);
  const uploadLimit = {
    bytes: bytes || GRAPH_UPLOAD_LIMIT.bytes,
    windowMs: windowMs || GRAPH_UPLOAD_LIMIT.windowMs,
  };
  return { timeoutMs: positiveNumber(given.timeoutMs) || DEFAULT_TIMEOUT_MS, retry, uploadLimit };
}

/** A finite number >= 0 from settings.js, else undefined (the default applies). */
export function positiveNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** One Entra ID application: tokens and HTTP shared by every node that uses it. */
export class Connection {
  readonly account: Account;
  readonly http: HttpStack;
  readonly tokens: CachedTokens;
  /** The signed-in user's tokens, for a delegated account. */
  readonly delegated?: DelegatedTokens;

  /** Throws ConfigError when the settings cannot work. */
  constructor(
    settings: AccountSettings,
    private readonly options: ConnectionOptions = {},
  ) {
    this.account = normaliseAccount(settings);
    this.http = createHttpStack(options);
    if (this.account.credential.type === 'delegated') {
      if (!options.signIn) {
        throw new ConfigError('A delegated account needs a place to keep its sign-in', {
          property: 'authType',
        });
      }
      this.delegated = new DelegatedTokens(this.account, this.http, options.signIn.store, options.signIn.id);
      this.tokens = this.delegated;
    } else {
      this.tokens = new TokenProvider(this.account, this.http);
    }
  }

  /** A Graph client on this connection's tokens. */
  client(onRetry?: (notice: RetryNotice) => void): GraphClient {
    return new GraphClient({
      graphEndpoint: this.account.graphEndpoint,
      tokens: this.tokens,
      http: this.http,
      retry: this.options.retry,
      appId: this.account.applicationId,
      uploadLimit: this.options.uploadLimit,
      runtime: this.options.runtime,
      onRetry,
    });
  }

  /** Mail operations on one mailbox. */
  mailbox(mailbox: string, client: GraphClient = this.client()): MailApi {
    return new MailApi(client, mailbox);
  }

  /** Closes idle sockets. */
  close(): void {
    this.http.destroy();
  }
}
