/**
 * Where `action: none` remembers what it delivered, so each mail is delivered once and a runtime with a persistent
 * context store resumes after a restart without repeating or skipping mail.
 */

/** Async get/set of one JSON value (the node context wraps it; tests use memory). */
export interface CursorStore {
  get(): Promise<unknown>;
  set(value: Cursor | undefined): Promise<void>;
}

/** Mail received at or before `at` was handled, except ids not in `ids` that were received exactly at `at`. */
export interface Watermark {
  /** ISO receivedDateTime. */
  at: string;
  /** Ids received exactly at `at` that were handled. */
  ids: string[];
}

export interface Cursor {
  version: 1;
  /** The settings it belongs to (see cursorKey). */
  key: string;
  mode: 'delta' | 'watermark';
  /** Handled mail as of the start of the current delta round (or of the watermark listing). */
  watermark?: Watermark;
  /** Delta: the link to fetch next: an `@odata.nextLink` mid-round or the `@odata.deltaLink` between rounds. */
  link?: string;
  /** Delta: `link` begins a round (a deltaLink, or none: an initial sync). */
  roundStart?: boolean;
  /** Delta: ids already delivered from the page `link` answers (a poll stopped in the middle of it). */
  done?: string[];
  /** Delta: the watermark the current round builds up, taken over when the round ends. */
  next?: Watermark;
}

/** The part of a node's context the cursor store uses: callback get and set of one key in the default store. */
export interface KeyValueContext {
  get(key: string, store: undefined, callback: (err: Error | null, value: unknown) => void): unknown;
  set(key: string, value: unknown, store: undefined, callback: (err: Error | null) => void): void;
}

/** Where action none keeps its cursor in the node's context. */
const CURSOR_KEY = 'o365MailInCursor';

/**
 * Cursors by scope (node, tenant and Graph endpoint) for this process: Node-RED drops a node's context at each
 * redeploy unless a context store is configured, and a redeployed node must not deliver its folder's mail again.
 */
const processCursors = new Map<string, Cursor>();

/**
 * The cursor in a node's context (its default store: a persistent one survives restarts), with the process-wide copy
 * for `scope` standing in when the context lost it.
 */
export function contextCursorStore(context: KeyValueContext, scope: string): CursorStore {
  return {
    get: () =>
      new Promise((resolve, reject) =>
        context.get(CURSOR_KEY, undefined, (err, value) =>
          err ? reject(err) : resolve(value ?? processCursors.get(scope)),
        ),
      ),
    set: (value) => {
      if (value) processCursors.set(scope, value);
      else processCursors.delete(scope);
      return new Promise((resolve, reject) =>
        context.set(CURSOR_KEY, value, undefined, (err) => (err ? reject(err) : resolve())),
      );
    },
  };
}

/** Forgets the process-wide copy of a cursor (its node was removed, not redeployed). */
export function forgetCursor(scope: string): void {
  processCursors.delete(scope);
}

/** A store in memory (tests, and nodes whose context cannot be read). */
export function memoryCursorStore(initial?: Cursor): CursorStore & { value: Cursor | undefined } {
  const store = {
    value: initial,
    async get() {
      return store.value === undefined ? undefined : (JSON.parse(JSON.stringify(store.value)) as Cursor);
    },
    async set(value: Cursor | undefined) {
      store.value = value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as Cursor);
    },
  };
  return store;
}

/** The stored cursor when it is well formed and made for these settings; otherwise undefined. */
export function readCursor(value: unknown, key: string): Cursor | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const c = value as Partial<Cursor>;
  if (c.version !== 1 || c.key !== key || (c.mode !== 'delta' && c.mode !== 'watermark')) return undefined;
  if (c.watermark !== undefined && !isWatermark(c.watermark)) return undefined;
  if (c.next !== undefined && !isWatermark(c.next)) return undefined;
  if (c.link !== undefined && typeof c.link !== 'string') return undefined;
  if (c.done !== undefined && !isStringArray(c.done)) return undefined;
  return c as Cursor;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

function isWatermark(value: unknown): value is Watermark {
  if (typeof value !== 'object' || value === null) return false;
  const w = value as Partial<Watermark>;
  return typeof w.at === 'string' && !Number.isNaN(Date.parse(w.at)) && isStringArray(w.ids);
}

/** True when a mail received at `received` with `id` is covered by the watermark (handled before). */
export function isBehind(watermark: Watermark | undefined, received: string, id: string): boolean {
  if (!watermark) return false;
  const at = Date.parse(watermark.at);
  const t = Date.parse(received);
  if (Number.isNaN(t)) return false;
  return t < at || (t === at && watermark.ids.includes(id));
}

/** The watermark moved on by one mail (kept as the latest time and the ids at that instant). */
export function advance(
  watermark: Watermark | undefined,
  received: string,
  id: string,
): Watermark | undefined {
  const t = Date.parse(received);
  if (Number.isNaN(t)) return watermark;
  if (!watermark || t > Date.parse(watermark.at)) return { at: received, ids: [id] };
  if (t === Date.parse(watermark.at) && !watermark.ids.includes(id)) {
    return { at: watermark.at, ids: [...watermark.ids, id] };
  }
  return watermark;
}
