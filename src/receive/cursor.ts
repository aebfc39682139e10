/**
 * Where `action: none` remembers what it delivered, so each mail is delivered once and a runtime with a persistent
 * context store resumes after a restart without repeating or skipping mail. The cursor (version 2) is the set of
 * delivered mails (src/receive/seen.ts) plus, for the delta query, the link to ask next. Version 1 cursors (a
 * receivedDateTime watermark) are migrated by src/receive/migrate.ts.
 */
import { PackedSeen, SeenMails } from './seen';

/** Async get/set of one JSON value (the node context wraps it; tests use memory). */
export interface CursorStore {
  get(): Promise<unknown>;
  set(value: StoredCursor | undefined): Promise<void>;
}

/** The cursor as stored (JSON). */
export interface StoredCursor extends PackedSeen {
  version: 2;
  /** The settings it belongs to (see cursorKey). */
  key: string;
  /** Delta: the link to fetch next, an `@odata.nextLink` mid-round or the `@odata.deltaLink` between rounds. */
  link?: string;
  /** Graph answered that it has no message delta here (a national cloud): the folder is listed instead. */
  noDelta?: true;
  /** A version 1 cursor stopped in the middle of a delta round: what that round had reached (see migrate.ts). */
  legacyRound?: Watermark;
}

/** What action none remembers, in memory while the node runs; saved as a StoredCursor after each step. */
export class Cursor {
  /** Delta: the link to fetch next; undefined: a new sync from the start. */
  link?: string;
  /** Graph has no message delta for this folder. */
  noDelta = false;
  legacyRound?: Watermark;

  constructor(
    readonly key: string,
    readonly seen: SeenMails = new SeenMails(),
  ) {}

  toStored(): StoredCursor {
    const stored: StoredCursor = { version: 2, key: this.key, ...this.seen.pack() };
    if (this.link !== undefined) stored.link = this.link;
    if (this.noDelta) stored.noDelta = true;
    if (this.legacyRound) stored.legacyRound = this.legacyRound;
    return stored;
  }

  /** The cursor of a stored value made for these settings; undefined when it is not one (or not well formed). */
  static fromStored(value: unknown, key: string): Cursor | undefined {
    if (typeof value !== 'object' || value === null) return undefined;
    const c = value as Partial<StoredCursor>;
    if (c.version !== 2 || c.key !== key) return undefined;
    if (c.link !== undefined && typeof c.link !== 'string') return undefined;
    if (c.legacyRound !== undefined && !isWatermark(c.legacyRound)) return undefined;
    const seen = SeenMails.unpack(c);
    if (!seen) return undefined;
    const cursor = new Cursor(key, seen);
    cursor.link = c.link;
    cursor.noDelta = c.noDelta === true;
    cursor.legacyRound = c.legacyRound;
    return cursor;
  }
}

/** Version 1 (a watermark): mail received at or before `at` was handled, except ids not in `ids` received at `at`. */
export interface Watermark {
  /** ISO receivedDateTime. */
  at: string;
  /** Ids received exactly at `at` that were handled. */
  ids: string[];
}

/** A version 1 cursor, as nodes before issue 10 stored it. */
export interface CursorV1 {
  version: 1;
  key: string;
  mode: 'delta' | 'watermark';
  /** Handled mail as of the start of the current delta round (or of the watermark listing). */
  watermark?: Watermark;
  /** Delta: an `@odata.nextLink` mid-round or the `@odata.deltaLink` between rounds. */
  link?: string;
  /** Delta: `link` begins a round (a deltaLink, or none: an initial sync). */
  roundStart?: boolean;
  /** Delta: ids already delivered from the page `link` answers. */
  done?: string[];
  /** Delta: the watermark the current round had built up. */
  next?: Watermark;
}

/** A stored version 1 cursor made for these settings, when it is one. */
export function readCursorV1(value: unknown, key: string): CursorV1 | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const c = value as Partial<CursorV1>;
  if (c.version !== 1 || c.key !== key || (c.mode !== 'delta' && c.mode !== 'watermark')) return undefined;
  if (c.watermark !== undefined && !isWatermark(c.watermark)) return undefined;
  if (c.next !== undefined && !isWatermark(c.next)) return undefined;
  if (c.link !== undefined && typeof c.link !== 'string') return undefined;
  if (c.done !== undefined && !isStringArray(c.done)) return undefined;
  return c as CursorV1;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

function isWatermark(value: unknown): value is Watermark {
  if (typeof value !== 'object' || value === null) return false;
  const w = value as Partial<Watermark>;
  return typeof w.at === 'string' && !Number.isNaN(Date.parse(w.at)) && isStringArray(w.ids);
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
const processCursors = new Map<string, StoredCursor>();

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
export function memoryCursorStore(initial?: unknown): CursorStore & { value: unknown } {
  const store = {
    value: initial,
    async get() {
      return store.value === undefined ? undefined : (JSON.parse(JSON.stringify(store.value)) as unknown);
    },
    async set(value: StoredCursor | undefined) {
      store.value = value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as unknown);
    },
  };
  return store;
}
