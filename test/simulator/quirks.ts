/**
 * Graph's nondeterministic quirks (partial delta items, unordered delta rounds, stale links, search-index lag, large
 * pages that time out, Sent Items filed late) and the documented limits that a test may tune. Random quirks draw from one seeded generator,
 * so a failing run can be repeated with the same seed.
 */

/** Listing pages that a gateway gives up on: 504 when a page would exceed a threshold. */
export interface LargePageRule {
  /** Serialized JSON of the page over this many bytes answers 504. */
  maxResponseBytes?: number;
  /** A page with `$expand=attachments` carrying more attachments than this answers 504. */
  maxExpandedAttachments?: number;
  /** Wait this long before answering 504 (a client timeout shorter than this sees a timeout instead). Default 0. */
  delayMs?: number;
}

export interface Quirks {
  /**
   * Probability (0..1) that a mail that changed (not one newly added to the folder) comes back in a delta round after
   * the first with only `id`, `isRead` and `parentFolderId`, whatever `$select` asked (docs issue 7776). 1 = always.
   */
  deltaPartialItems: number;
  /** Delta rounds list their entries in a seeded random order, across pages (delta-query-overview: no order). */
  deltaShuffle: boolean;
  /** Probability (0..1) that a request carrying a saved nextLink or deltaLink answers 410 syncStateNotFound. */
  deltaStaleRate: number;
  /** Mail added to a folder, or changed, less than this many ms ago is invisible to `$search`. */
  searchLagMs: number;
  /** Listing pages over a threshold answer 504 GatewayTimeout; null = never. */
  largePage: LargePageRule | null;
  /** The Sent Items copy of a sent mail (sendMail, /send) is filed this many ms after the send (0: at once). */
  sentItemsLagMs: number;
}

export const DEFAULT_QUIRKS: Quirks = {
  deltaPartialItems: 0,
  deltaShuffle: false,
  deltaStaleRate: 0,
  searchLagMs: 0,
  largePage: null,
  sentItemsLagMs: 0,
};

/** Checks a partial quirk setting; throws naming the bad field. */
export function checkQuirks(q: Partial<Quirks>): void {
  const rate = (name: keyof Quirks, v: unknown): void => {
    if (v !== undefined && !(typeof v === 'number' && v >= 0 && v <= 1))
      throw new Error(`simulator: quirk ${name} must be a probability 0..1, got ${String(v)}`);
  };
  rate('deltaPartialItems', q.deltaPartialItems);
  rate('deltaStaleRate', q.deltaStaleRate);
  for (const name of ['searchLagMs', 'sentItemsLagMs'] as const) {
    const v = q[name];
    if (v !== undefined && !(v >= 0)) throw new Error(`simulator: quirk ${name} must be >= 0, got ${v}`);
  }
  const large = q.largePage;
  if (large) {
    for (const key of ['maxResponseBytes', 'maxExpandedAttachments', 'delayMs'] as const) {
      const v = large[key];
      if (v !== undefined && !(Number.isFinite(v) && v >= 0))
        throw new Error(`simulator: quirk largePage.${key} must be a number >= 0, got ${String(v)}`);
    }
    if (large.maxResponseBytes === undefined && large.maxExpandedAttachments === undefined)
      throw new Error('simulator: quirk largePage needs maxResponseBytes or maxExpandedAttachments');
  }
}

/** A small seeded generator (mulberry32): the same seed gives the same quirks. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }

  reseed(seed: number): void {
    this.state = seed >>> 0 || 0x9e3779b9;
  }

  /** A number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** True with probability p (never draws for 0 or 1, so turning a quirk off keeps other sequences stable). */
  chance(p: number): boolean {
    if (p <= 0) return false;
    if (p >= 1) return true;
    return this.next() < p;
  }

  /** Shuffles an array in place (Fisher-Yates). */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }
}
