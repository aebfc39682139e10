/** Shapes shared by the Graph access layer and its callers. Nothing here imports Node-RED. */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * How a request may be repeated when the outcome is not a clear success (docs/architecture.md, "Retry policy").
 * - `idempotent`: repeated after 429, 503, 504, other 5xx, timeouts and dropped connections (reads, PATCH isRead,
 *   DELETE, move).
 * - `write`: a write that a repeat could duplicate but that sends no mail (create a draft, a folder, a subscription,
 *   an attachment, an upload chunk): repeated after 429 and 503 only; after a timeout, a dropped connection or
 *   another 5xx it fails with code `OutcomeUnknown`.
 * - `send`: a request that can send mail (sendMail, /send). Repeated only after 429 (Graph did not process it);
 *   503, 504, other 5xx, timeouts, dropped connections and unreadable answers do not prove that nothing was sent, so
 *   it fails with code `OutcomeUnknown` (keeping the status and Retry-After) and the send engine finds out whether
 *   the mail went before it decides (src/send/repeat.ts).
 */
export type RetryPolicy = 'idempotent' | 'write' | 'send';

export interface GraphRequest {
  method: HttpMethod;
  /** Path below `{graphEndpoint}/v1.0`, each segment already encoded (`pathSegment`, src/graph/odata.ts), or a `@odata.nextLink`. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  /** JSON body (objects) or raw bytes (Buffer, sent as application/octet-stream unless a content-type header is given). */
  body?: unknown;
  /** `json` (default) parses the response; `buffer` returns the raw bytes (for `$value`). */
  responseType?: 'json' | 'buffer';
  /**
   * The mailbox the request touches: at most 4 requests per mailbox are in flight at once, and its PATCH/POST/PUT
   * bodies count towards the mailbox's upload volume (150 MB per 5 minutes per app).
   */
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
  /** How often the request was sent before this answer (more than 1: an earlier attempt may also have taken effect). */
  attempts?: number;
}

/** Progress the client reports while it waits, so a node can show "throttled, retrying in Ns". */
export interface RetryNotice {
  attempt: number;
  /** The wait about to start, in full (a server's Retry-After is never shortened). */
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
  /** Ids of items that must succeed first (Graph answers 424 for this one when one of them failed). */
  dependsOn?: string[];
}

export interface BatchItemResult {
  id: string;
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}
