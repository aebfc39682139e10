/** Shapes shared by the Graph access layer and its callers. Nothing here imports Node-RED. */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * How a request may be retried when the outcome is not a clear success.
 * - `idempotent`: retried on 429/503/504, timeouts and dropped connections (reads, PATCH isRead, DELETE).
 * - `send`: retried only when Graph said it did not process the request (429, 503);
 *   after a timeout, a dropped connection or another 5xx the outcome is unknown and the
 *   request fails with `GraphError.code === 'OutcomeUnknown'`.
 */
export type RetryPolicy = 'idempotent' | 'send';

export interface GraphRequest {
  method: HttpMethod;
  /** Path below `{graphEndpoint}/v1.0`, each segment already encoded (see `path.ts`), or a `@odata.nextLink`. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  /** JSON body (objects) or raw bytes (Buffer, sent as application/octet-stream unless a content-type header is given). */
  body?: unknown;
  /** `json` (default) parses the response; `buffer` returns the raw bytes (for `$value`). */
  responseType?: 'json' | 'buffer';
  /** The mailbox the request touches: at most 4 requests per mailbox are in flight at once. */
  mailbox?: string;
  retry?: RetryPolicy;
  /** Skip the Authorization header (upload session URLs take none). Requires an absolute `path`. */
  anonymous?: boolean;
  signal?: AbortSignal;
}

export interface GraphResponse<T = unknown> {
  status: number;
  headers: Record<string, string>;
  data: T;
}

/** Progress the client reports while it waits, so a node can show "throttled, retrying in Ns". */
export interface RetryNotice {
  attempt: number;
  delayMs: number;
  status?: number;
  code: string;
  mailbox?: string;
}

export interface BatchItem {
  id: string;
  method: HttpMethod;
  /** Relative URL without `/v1.0`, e.g. `/users/x/messages/y`. */
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface BatchItemResult {
  id: string;
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}
