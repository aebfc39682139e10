/**
 * The Graph HTTP client: bearer tokens (one refresh on 401), the per-mailbox concurrency limit, the per-mailbox upload
 * volume, retries that honour Retry-After in full (exponential backoff with jitter otherwise), bounded in attempts and
 * in time, paging and $batch. A request that can send mail is repeated only after 429 (docs/architecture.md).
 */
import { AxiosResponse } from 'axios';
import { ErrorCodes } from './error-codes';
import {
  ConfigError,
  GraphError,
  MailPermission,
  networkError,
  O365Error,
  graphError,
  outcomeUnknown,
  DelegatedGrant,
  retryAfterTooLong,
  uploadLimitTooLong,
} from './errors';
import { flattenHeaders, HttpStack } from './http';
import { mailboxLimiter } from './limiter';
import { TokenSource } from './token';
import { BatchItem, BatchItemResult, GraphRequest, GraphResponse, RetryNotice, RetryPolicy } from './types';
import {
  GRAPH_REQUEST_LIMIT_BYTES,
  GRAPH_UPLOAD_LIMIT,
  uploadWindow,
  type UploadEntry,
  type UploadLimit,
} from './upload-window';

export interface RetrySettings {
  /** Attempts in all, the first included (default 8). */
  maxAttempts: number;
  /** First backoff when Graph gives no Retry-After (default 1 s); doubles each time. */
  baseDelayMs: number;
  /** Longest backoff the client chooses itself (default 60 s); never shortens a Retry-After Graph asked for. */
  maxDelayMs: number;
  /**
   * Longest time one request may wait in all (default 5 min): Retry-After waits, backoffs and waits for upload room.
   * When Graph asks for more than is left, the request fails at once (RetryAfterTooLong) instead of retrying early.
   */
  maxTotalDelayMs: number;
}

export interface GraphClientOptions {
  graphEndpoint: string;
  tokens: TokenSource;
  http: HttpStack;
  retry?: Partial<RetrySettings>;
  /** The application (client) id: the upload volume is counted per app and mailbox. */
  appId?: string;
  /** The upload volume to pace within (default Graph's 150 MB per 5 minutes); null: no pacing. */
  uploadLimit?: UploadLimit | null;
  /** Told before each wait, so a node can show "throttled, retrying in Ns". */
  onRetry?: (notice: RetryNotice) => void;
  random?: () => number;
  /**
   * The runtime whose per-mailbox limiter (4 requests at once) this client shares: every client of one Node-RED shares
   * one (default ''). A test names another to act as a second Node-RED on the same mailbox.
   */
  runtime?: string;
}

/** A Graph request that carries the permission it needs, for precise 403 messages. */
export interface MailRequest extends GraphRequest {
  permission?: MailPermission;
  /** Mailbox slots the request occupies ($batch items run up to 4 at a time; 0 for upload URLs, no Graph operation). */
  slots?: number;
  /**
   * A 504 or a timeout is not repeated: the caller has a cheaper request to ask instead (a smaller page), and the same
   * big page would only time out again (the user-list-messages page: large pages may answer 504).
   */
  failFastOnTimeout?: boolean;
}

export interface BatchOptions {
  mailbox?: string;
  signal?: AbortSignal;
  permission?: MailPermission;
  /**
   * `idempotent` (default): the batch and its 504 items may be repeated; `write`: only what Graph did not process
   * (429, 503); `send`: only 429 (src/graph/types.ts, RetryPolicy).
   */
  retry?: RetryPolicy;
}

export interface Page<T> {
  value: T[];
  nextLink?: string;
  deltaLink?: string;
  /** Graph's clock when it answered (the `Date` header), for times that several clients compare. */
  date?: string;
}

export const DEFAULT_RETRY: RetrySettings = {
  maxAttempts: 8,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
  // Graph's upload window is 5 minutes: a mail the window takes later waits for it rather than failing.
  maxTotalDelayMs: 300_000,
};

/** A request body encoded once, for every attempt. */
interface Payload {
  data: Buffer | string | undefined;
  contentType?: string;
  bytes: number;
}

/** Talks to one Graph endpoint with one account's tokens. */
export class GraphClient {
  readonly graphEndpoint: string;
  private readonly base: string;
  private readonly retry: RetrySettings;
  private readonly random: () => number;
  /** A delegated account's grant, as its last token said (for 403s that name the permission a sign-in lacks). */
  grant?: DelegatedGrant;
  /** Counters for status displays, tests and the benchmark. */
  readonly stats = { requests: 0, retries: 0, tokenRefreshes: 0 };

  constructor(private readonly options: GraphClientOptions) {
    this.graphEndpoint = options.graphEndpoint.replace(/\/+$/, '');
    this.base = `${this.graphEndpoint}/v1.0`;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.random = options.random ?? Math.random;
  }

  /**
   * Sends one request; resolves with a 2xx response or rejects with an O365Error: a GraphError (Graph's answer), a
   * NetworkError (no answer), a TokenError (no token) or a ConfigError (a link outside the Graph endpoint).
   */
  async request<T = unknown>(req: MailRequest): Promise<GraphResponse<T>> {
    const url = this.urlOf(req);
    const policy = req.retry ?? (req.method === 'GET' ? 'idempotent' : 'send');
    const payload = encodeBody(req.body);
    let attempt = 0;
    let waited = 0;
    let refreshed = false;
    let rejected: string | undefined;
    for (;;) {
      attempt++;
      const upload = await this.waitForUploadRoom(req, payload.bytes, waited);
      waited += upload.waitedMs;
      const outcome = await this.attempt<T>(req, url, payload, rejected).finally(() => {
        if (upload.entry) upload.entry.at = Date.now();
      });
      if (outcome.kind === 'ok')
        return attempt === 1 ? outcome.response : { ...outcome.response, attempts: attempt };
      const err = outcome.error;
      if (outcome.kind === 'expired-token' && !refreshed) {
        refreshed = true;
        rejected = outcome.token;
        this.stats.tokenRefreshes++;
        continue;
      }
      if (req.failFastOnTimeout && isTimeout(err)) throw err;
      const repeatable = isRepeatable(outcome.kind, err.status, policy);
      const unknown = outcome.kind === 'unknown' || (outcome.kind === 'not-processed' && !repeatable);
      // A read or an idempotent write that failed for good keeps its own error; any other unclear end is unknown.
      const final = unknown && policy !== 'idempotent' ? outcomeUnknown(err) : err;
      if (!repeatable || attempt >= this.retry.maxAttempts) throw final;
      const delayMs = this.delayFor(attempt, err.retryAfterMs);
      if (waited + delayMs > this.retry.maxTotalDelayMs) {
        // Never retry before Graph said: a wait Graph asked for that does not fit ends the request, saying so.
        if (err.retryAfterMs !== undefined) throw retryAfterTooLong(err, this.retry.maxTotalDelayMs);
        throw final;
      }
      waited += delayMs;
      this.stats.retries++;
      await this.tellAndWait(
        { attempt, delayMs, status: err.status, code: err.code, mailbox: req.mailbox },
        req.signal,
      );
    }
  }

  /** Tells the node about a wait (for its "throttled, retrying in Ns" status), then waits. */
  private async tellAndWait(notice: RetryNotice, signal?: AbortSignal): Promise<void> {
    this.options.onRetry?.(notice);
    await sleep(notice.delayMs, signal);
  }

  /**
   * Holds a PATCH/POST/PUT body back until the mailbox's upload volume has room for it (Graph: 150 MB per 5 minutes
   * per app and mailbox), counting it once it goes. Returns the time waited and the body's entry in the window; fails
   * when the wait would not fit.
   */
  private async waitForUploadRoom(
    req: MailRequest,
    bytes: number,
    waited: number,
  ): Promise<{ waitedMs: number; entry?: UploadEntry }> {
    const limit = this.options.uploadLimit === undefined ? GRAPH_UPLOAD_LIMIT : this.options.uploadLimit;
    if (!limit || !req.mailbox || bytes === 0 || !['PATCH', 'POST', 'PUT'].includes(req.method)) {
      return { waitedMs: 0 };
    }
    // Graph refuses a body over 4 MB outright (413): nothing is uploaded, so nothing to wait for or count.
    if (bytes > GRAPH_REQUEST_LIMIT_BYTES) return { waitedMs: 0 };
    const window = uploadWindow(this.graphEndpoint, this.options.appId ?? '', req.mailbox, limit);
    let total = 0;
    for (let round = 1; ; round++) {
      const wait = window.waitFor(bytes);
      if (wait === 0) break;
      if (waited + total + wait > this.retry.maxTotalDelayMs) {
        throw uploadLimitTooLong(wait, this.retry.maxTotalDelayMs, req.mailbox);
      }
      total += wait;
      const notice = { attempt: round, delayMs: wait, status: 429, code: ErrorCodes.uploadLimit };
      await this.tellAndWait({ ...notice, mailbox: req.mailbox }, req.signal);
    }
    return { waitedMs: total, entry: window.record(bytes) };
  }

  /** Every page of a collection, following `@odata.nextLink` until `@odata.deltaLink` or the end. */
  async *pages<T>(req: MailRequest): AsyncGenerator<Page<T>> {
    let next: MailRequest | null = req;
    while (next) {
      const response: GraphResponse<Record<string, unknown>> =
        await this.request<Record<string, unknown>>(next);
      const data = response.data ?? {};
      const value = Array.isArray(data.value) ? (data.value as T[]) : [];
      const nextLink = typeof data['@odata.nextLink'] === 'string' ? data['@odata.nextLink'] : undefined;
      const deltaLink = typeof data['@odata.deltaLink'] === 'string' ? data['@odata.deltaLink'] : undefined;
      yield { value, nextLink, deltaLink, date: response.headers.date };
      // nextLink is opaque: follow it as given, with the same headers, no query of ours.
      next = nextLink ? { ...req, path: nextLink, query: undefined } : null;
    }
  }

  /**
   * Runs requests through `$batch`, 20 at a time, retrying items Graph throttled (429/503/504 inside the batch)
   * after their Retry-After. Returns one result per item, in the order given.
   */
  async batch(items: BatchItem[], options: BatchOptions = {}): Promise<BatchItemResult[]> {
    const results = new Map<string, BatchItemResult>();
    for (let i = 0; i < items.length; i += 20) {
      await this.batchChunk(items.slice(i, i + 20), results, options);
    }
    return items.map((item) => results.get(item.id) ?? noAnswer(item.id, 500));
  }

  private async batchChunk(
    chunk: BatchItem[],
    results: Map<string, BatchItemResult>,
    options: BatchOptions,
  ): Promise<void> {
    const policy = options.retry ?? 'idempotent';
    let pending = chunk;
    let waited = 0;
    for (let round = 1; pending.length > 0; round++) {
      // A dependency answered in an earlier round is done (else its dependent would not be asked again): drop it.
      const asked = new Set(pending.map((item) => item.id));
      const requests = pending.map((item) => ({
        ...item,
        dependsOn: item.dependsOn?.filter((id) => asked.has(id)),
        headers: batchHeaders(item),
      }));
      for (const request of requests) if (!request.dependsOn?.length) delete request.dependsOn;
      const response = await this.request<{ responses?: BatchItemResult[] }>({
        method: 'POST',
        path: '/$batch',
        body: { requests },
        mailbox: options.mailbox,
        slots: batchSlots(requests),
        retry: policy,
        signal: options.signal,
        permission: options.permission,
      });
      const retryLater: BatchItem[] = [];
      let retryAfterMs = 0;
      for (const item of pending) {
        const answer = response.data?.responses?.find((r) => r.id === item.id);
        const status = answer?.status ?? 500;
        // An item that may have had an effect (504) is repeated only when repeating it is harmless; one that can send
        // mail, only after 429 (the same rule as a single request: isRepeatable).
        const notProcessed = status === 429 || (status === 503 && policy !== 'send');
        const retryable = notProcessed || (status === 504 && policy === 'idempotent');
        if (retryable && round < this.retry.maxAttempts) {
          retryLater.push(item);
          const headers = flattenHeaders(answer?.headers);
          const wait = graphError(status, answer?.body, headers).retryAfterMs;
          retryAfterMs = Math.max(retryAfterMs, this.delayFor(round, wait));
        } else {
          results.set(item.id, answer ?? noAnswer(item.id, status));
        }
      }
      // An item that failed only because one it depends on is asked again (424) goes again with it, down a chain too
      // (Graph answers 424 for every item after the throttled one). Graph requires dependencies to come first.
      const again = new Set(retryLater.map((item) => item.id));
      for (const item of pending) {
        if (results.get(item.id)?.status === 424 && item.dependsOn?.some((id) => again.has(id))) {
          results.delete(item.id);
          retryLater.push(item);
          again.add(item.id);
        }
      }
      retryLater.sort((a, b) => pending.indexOf(a) - pending.indexOf(b));
      // Items are retried after the longest Retry-After among them, in full; past the bound they keep their answer.
      if (retryLater.length > 0 && waited + retryAfterMs > this.retry.maxTotalDelayMs) {
        for (const item of retryLater) {
          const answer = response.data?.responses?.find((r) => r.id === item.id);
          results.set(item.id, answer ?? noAnswer(item.id, 503));
        }
        retryLater.length = 0;
      }
      pending = retryLater;
      if (pending.length > 0) {
        this.stats.retries++;
        waited += retryAfterMs;
        const notice = {
          attempt: round,
          delayMs: retryAfterMs,
          status: 429,
          code: ErrorCodes.batchItemsThrottled,
        };
        await this.tellAndWait({ ...notice, mailbox: options.mailbox }, options.signal);
      }
    }
  }

  private async attempt<T>(
    req: MailRequest,
    url: string,
    payload: Payload,
    rejected: string | undefined,
  ): Promise<
    | { kind: 'ok'; response: GraphResponse<T> }
    | { kind: 'expired-token' | 'not-processed' | 'unknown' | 'fatal'; error: O365Error; token?: string }
  > {
    const release =
      req.mailbox && req.slots !== 0
        ? await mailboxLimiter(this.graphEndpoint, req.mailbox, this.options.runtime).acquire(
            req.slots ?? 1,
            req.signal,
          )
        : () => undefined;
    try {
      const headers: Record<string, string> = { ...req.headers };
      let token: string | undefined;
      if (!req.anonymous) {
        const access = await this.options.tokens.getToken({ forceRefresh: rejected !== undefined, rejected });
        token = access.token;
        if (access.scopes) this.grant = { permissions: access.scopes, user: access.user };
        headers.Authorization = `Bearer ${token}`;
      }
      const data = payload.data;
      if (payload.contentType) headers['Content-Type'] ??= payload.contentType;
      this.stats.requests++;
      let response: AxiosResponse;
      try {
        response = await this.options.http.axios.request({
          method: req.method,
          url,
          params: req.query ? withoutUndefined(req.query) : undefined,
          paramsSerializer: { serialize: serializeQuery },
          headers,
          data,
          signal: req.signal,
          responseType: 'arraybuffer',
        });
      } catch (err) {
        if (req.signal?.aborted) throw req.signal.reason instanceof Error ? req.signal.reason : err;
        return { kind: 'unknown', error: networkError(err) };
      }
      const responseHeaders = flattenHeaders(response.headers);
      const raw = Buffer.from(response.data as ArrayBuffer);
      if (response.status >= 200 && response.status < 300) {
        if (req.responseType === 'buffer') {
          return {
            kind: 'ok',
            response: { status: response.status, headers: responseHeaders, data: raw as T },
          };
        }
        const parsed = parseJson(raw);
        if (parsed.ok) {
          return {
            kind: 'ok',
            response: { status: response.status, headers: responseHeaders, data: parsed.value as T },
          };
        }
        const error = new GraphError({
          code: ErrorCodes.malformedResponse,
          reason: 'unavailable',
          status: response.status,
          requestId: responseHeaders['request-id'],
          hint: 'Graph sent an unreadable answer',
        });
        return { kind: 'unknown', error };
      }
      const body = parseJson(raw);
      const error = graphError(response.status, body.ok ? body.value : undefined, responseHeaders, {
        mailbox: req.mailbox,
        permission: req.permission,
        grant: this.grant,
      });
      if (response.status === 401 && !req.anonymous) return { kind: 'expired-token', error, token };
      if (response.status === 429 || response.status === 503) return { kind: 'not-processed', error };
      if (response.status >= 500) return { kind: 'unknown', error };
      return { kind: 'fatal', error };
    } finally {
      release();
    }
  }

  private urlOf(req: MailRequest): string {
    if (/^https?:\/\//i.test(req.path)) {
      // Only links Graph itself gave (nextLink, deltaLink, uploadUrl) are absolute; never follow one to plain http.
      const url = new URL(req.path);
      if (url.protocol !== 'https:') throw badLink(req.path);
      if (!req.anonymous && url.origin !== new URL(this.graphEndpoint).origin) throw badLink(req.path);
      return req.path;
    }
    if (!req.path.startsWith('/')) throw badLink(req.path);
    return this.base + req.path;
  }

  /** Graph's Retry-After in full; otherwise an exponential backoff with jitter, capped at maxDelayMs. */
  private delayFor(attempt: number, retryAfterMs: number | undefined): number {
    if (retryAfterMs !== undefined) return retryAfterMs;
    const exp = this.retry.baseDelayMs * 2 ** Math.min(attempt - 1, 16);
    const capped = Math.min(exp, this.retry.maxDelayMs);
    return Math.round(capped / 2 + (this.random() * capped) / 2);
  }
}

/**
 * Mailbox slots a `$batch` holds: Outlook runs up to 4 of its items at a time, and an item that depends on another runs
 * only after it (json-batching, "dependsOn"). So a fully chained batch (each item after the one before) holds 1 slot,
 * independent items min(4, n). In general: the chains of a greedy chain cover (each item continues the chain of the
 * first dependency it names, if that chain has no successor yet), an upper bound of the items that can run at once.
 */
export function batchSlots(items: Pick<BatchItem, 'id' | 'dependsOn'>[]): number {
  const continued = new Set<string>();
  let chains = 0;
  for (const item of items) {
    const previous = item.dependsOn?.find((id) => !continued.has(id));
    if (previous === undefined) chains++;
    else continued.add(previous);
  }
  return Math.max(1, Math.min(chains, 4));
}

/** Graph's gateway gave up (504), or the node stopped waiting: a request too big to answer in time, perhaps. */
export function isTimeout(err: O365Error): boolean {
  return err.status === 504 || err.reason === 'timeout';
}

/** Waits `ms`, or rejects as soon as the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Whether an answer lets the client repeat the request by the policy (docs/architecture.md, "Retry policy"): 429 and
 * 503 say Graph did not take a write; for a request that can send mail only 429 does (a sendMail answered 503 or 504
 * can have been sent: https://learn.microsoft.com/answers/questions/5629476).
 */
function isRepeatable(
  kind: 'expired-token' | 'not-processed' | 'unknown' | 'fatal',
  status: number | undefined,
  policy: RetryPolicy,
): boolean {
  if (kind === 'not-processed') return policy !== 'send' || status === 429;
  return kind === 'unknown' && policy === 'idempotent';
}

/** JSON bodies are serialised once (the same bytes for every attempt and for the upload count); Buffers go as they are. */
function encodeBody(body: unknown): Payload {
  if (Buffer.isBuffer(body))
    return { data: body, contentType: 'application/octet-stream', bytes: body.length };
  if (body === undefined) return { data: undefined, bytes: 0 };
  const data = JSON.stringify(body);
  return { data, contentType: 'application/json', bytes: Buffer.byteLength(data, 'utf8') };
}

function batchHeaders(item: BatchItem): Record<string, string> | undefined {
  if (item.body === undefined) return item.headers;
  return { 'Content-Type': 'application/json', ...item.headers };
}

function parseJson(raw: Buffer): { ok: true; value: unknown } | { ok: false } {
  if (raw.length === 0) return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(raw.toString('utf8')) };
  } catch {
    return { ok: false };
  }
}

function withoutUndefined(
  query: Record<string, string | number | boolean | undefined>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(query)) if (value !== undefined) out[key] = String(value);
  return out;
}

/** OData query options: `$` stays literal, values are percent-encoded (spaces as %20, as Graph's docs show). */
function serializeQuery(params: Record<string, string>): string {
  return Object.entries(params)
    .map(([key, value]) => `${key}=${encodeURIComponent(value)}`)
    .join('&');
}

function badLink(path: string): ConfigError {
  return new ConfigError(
    `Refusing to send a request to "${path.slice(0, 200)}": only the configured Graph endpoint is used`,
    { code: ErrorCodes.unexpectedUrl, reason: 'bad-request' },
  );
}

/** The stand-in for a `$batch` item Graph's answer lacked. */
function noAnswer(id: string, status: number): BatchItemResult {
  return { id, status, body: { error: { code: ErrorCodes.noAnswer } } };
}
