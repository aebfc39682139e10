/**
 * Outlook takes at most 150 MB of uploads (PATCH, POST and PUT bodies) per 5 minutes per app and mailbox, and answers
 * 429 beyond it ("Microsoft Graph service-specific throttling limits", Outlook service limits). The client paces its
 * own bodies within that window instead of running into the 429: Graph keeps counting a throttled client's requests,
 * and pacing tells the node before it sends how long a request must wait, so it can show the wait or refuse at once.
 * The window is shared by every node of the runtime (the limit is per app, and a runtime holds each app once); a
 * 429 from Graph (another runtime with the same app) is still honoured through its Retry-After.
 */

export interface UploadLimit {
  /** Bytes per window (Graph: 150 MB). */
  bytes: number;
  /** The window (Graph: 5 minutes). */
  windowMs: number;
}

/** Graph's request body limit (4 MB): a larger body is refused with 413, whole, and uploads nothing. */
export const GRAPH_REQUEST_LIMIT_BYTES = 4 * 1024 * 1024;

/** Graph's documented limit, counted in decimal megabytes (the smaller reading of "150 MB"). */
export const GRAPH_UPLOAD_LIMIT: UploadLimit = { bytes: 150_000_000, windowMs: 300_000 };

/** One body counted in the window; `at` moves to when its request ended (Graph counts it when it has it all). */
export interface UploadEntry {
  at: number;
  bytes: number;
}

/** The bodies one app sent to one mailbox within the window. */
export class UploadWindow {
  private entries: UploadEntry[] = [];

  constructor(readonly limit: UploadLimit) {}

  /**
   * How long until `bytes` more fit in the window (0: now). A body larger than the whole window never fits: it is
   * not held back (Graph decides), so 0.
   */
  waitFor(bytes: number, now = Date.now()): number {
    this.prune(now);
    if (bytes > this.limit.bytes) return 0;
    let used = this.used(now);
    if (used + bytes <= this.limit.bytes) return 0;
    for (const entry of [...this.entries].sort((a, b) => a.at - b.at)) {
      used -= entry.bytes;
      if (used + bytes <= this.limit.bytes) return Math.max(1, entry.at + this.limit.windowMs - now);
    }
    return 0;
  }

  /**
   * Counts a body sent now. The caller moves `at` of the entry to when the request ended, so a body that took long
   * to upload stays counted as long as Graph counts it.
   */
  record(bytes: number, now = Date.now()): UploadEntry {
    const entry = { at: now, bytes };
    if (bytes > 0) this.entries.push(entry);
    return entry;
  }

  /** Bytes counted within the window. */
  used(now = Date.now()): number {
    this.prune(now);
    return this.entries.reduce((n, e) => n + e.bytes, 0);
  }

  private prune(now: number): void {
    const from = now - this.limit.windowMs;
    if (this.entries.some((e) => e.at <= from)) this.entries = this.entries.filter((e) => e.at > from);
  }
}

const windows = new Map<string, UploadWindow>();

/** The runtime-wide upload window of one app and mailbox on one Graph endpoint (a new limit starts a new count). */
export function uploadWindow(
  graphEndpoint: string,
  appId: string,
  mailbox: string,
  limit: UploadLimit,
): UploadWindow {
  const key = [graphEndpoint.toLowerCase(), appId.toLowerCase(), mailbox.trim().toLowerCase()].join('|');
  let window = windows.get(key);
  if (!window || window.limit.bytes !== limit.bytes || window.limit.windowMs !== limit.windowMs) {
    window = new UploadWindow(limit);
    windows.set(key, window);
  }
  return window;
}
