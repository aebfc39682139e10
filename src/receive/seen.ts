/**
 * The mails action none has delivered, so that it can tell new mail from delivered mail by "seen before", whatever
 * order Graph lists it in and however old its receivedDateTime is (a mail delivered late, moved or restored into the
 * folder, a resync after a stale delta link).
 *
 * Bounded: each mail is 12 bytes (the first 8 bytes of the SHA-256 of its id, and its receivedDateTime in seconds).
 * `settle()` keeps the `limit` newest mails by receivedDateTime and raises the floor to the newest one it forgot: a
 * mail received at or before the floor that is not remembered counts as delivered. Mails added since the last
 * `settle()` (the delta round in progress) are never forgotten before it, so a round in no particular order cannot
 * push the floor past a mail it has not listed yet.
 */
import { createHash } from 'node:crypto';

/** How many mails are remembered at rest (between rounds): 10,000 mails, 120 KB (160 KB as stored base64). */
export const SEEN_LIMIT = 10_000;

const HASH_BYTES = 8;
const ENTRY_BYTES = HASH_BYTES + 4;

/** The stored form (base64 of packed entries; the floor as ISO time). */
export interface PackedSeen {
  seen: string;
  recent?: string;
  floor?: string;
}

export class SeenMails {
  /** Hash (8 bytes as latin1) -> receivedDateTime in seconds, of settled rounds. */
  private readonly settled = new Map<string, number>();
  /** Added since the last settle. */
  private readonly recent = new Map<string, number>();
  private floorSeconds: number | undefined;
  /** The packed `settled`, kept until it changes (it is most of what is saved after each page). */
  private packedSettled: string | undefined;

  constructor(readonly limit = SEEN_LIMIT) {}

  /** Mails remembered, settled and recent. */
  get size(): number {
    return this.settled.size + this.recent.size;
  }

  /** Mail received at or before this time (ISO) counts as delivered unless remembered; undefined: no floor. */
  get floor(): string | undefined {
    return this.floorSeconds === undefined ? undefined : isoOf(this.floorSeconds);
  }

  /** True when this mail was delivered (remembered). */
  has(id: string): boolean {
    const key = hashOf(id);
    return this.recent.has(key) || this.settled.has(key);
  }

  /** True when the mail counts as delivered: remembered, or received at or before the floor. */
  covers(id: string, received: unknown): boolean {
    if (this.has(id)) return true;
    const seconds = secondsOf(received);
    return seconds !== undefined && this.floorSeconds !== undefined && seconds <= this.floorSeconds;
  }

  /** Remembers a delivered mail (a receivedDateTime that cannot be read counts as now). */
  add(id: string, received: unknown): void {
    const key = hashOf(id);
    if (this.settled.has(key)) return;
    this.recent.set(key, secondsOf(received) ?? Math.floor(Date.now() / 1000));
  }

  /** Mail received at or before `iso` counts as delivered (a migrated cursor's history). */
  raiseFloor(iso: string): void {
    const seconds = secondsOf(iso);
    if (seconds !== undefined && (this.floorSeconds === undefined || seconds > this.floorSeconds)) {
      this.floorSeconds = seconds;
    }
  }

  /** Ends a round: what it added joins the rest, and only the `limit` newest mails are kept (the floor rises). */
  settle(): void {
    if (this.recent.size > 0) this.packedSettled = undefined;
    for (const [key, seconds] of this.recent) this.settled.set(key, seconds);
    this.recent.clear();
    const over = this.settled.size - this.limit;
    if (over <= 0) return;
    const oldest = [...this.settled].sort((a, b) => a[1] - b[1]).slice(0, over);
    for (const [key] of oldest) this.settled.delete(key);
    this.raiseFloor(isoOf(oldest[oldest.length - 1][1]));
    this.packedSettled = undefined;
  }

  pack(): PackedSeen {
    this.packedSettled ??= packEntries(this.settled);
    const packed: PackedSeen = { seen: this.packedSettled };
    if (this.recent.size > 0) packed.recent = packEntries(this.recent);
    if (this.floor !== undefined) packed.floor = this.floor;
    return packed;
  }

  /** The set of a stored cursor; undefined when it is not well formed. */
  static unpack(packed: Partial<PackedSeen>, limit = SEEN_LIMIT): SeenMails | undefined {
    const set = new SeenMails(limit);
    if (typeof packed.seen !== 'string' || !unpackInto(packed.seen, set.settled)) return undefined;
    if (
      packed.recent !== undefined &&
      !(typeof packed.recent === 'string' && unpackInto(packed.recent, set.recent))
    )
      return undefined;
    if (packed.floor !== undefined) {
      if (secondsOf(packed.floor) === undefined) return undefined;
      set.raiseFloor(packed.floor);
    }
    set.packedSettled = packed.seen;
    return set;
  }
}

function hashOf(id: string): string {
  return createHash('sha256').update(id).digest().toString('latin1', 0, HASH_BYTES);
}

function secondsOf(value: unknown): number | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

function isoOf(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

function packEntries(entries: Map<string, number>): string {
  const buffer = Buffer.alloc(entries.size * ENTRY_BYTES);
  let at = 0;
  for (const [key, seconds] of entries) {
    buffer.write(key, at, HASH_BYTES, 'latin1');
    // Seconds since 1970 fit 32 bits until 2106; earlier than 1970 is stored as 0.
    buffer.writeUInt32BE(Math.max(0, Math.min(0xffffffff, seconds)), at + HASH_BYTES);
    at += ENTRY_BYTES;
  }
  return buffer.toString('base64');
}

function unpackInto(text: string, into: Map<string, number>): boolean {
  const buffer = Buffer.from(text, 'base64');
  if (buffer.length % ENTRY_BYTES !== 0) return false;
  for (let at = 0; at < buffer.length; at += ENTRY_BYTES) {
    into.set(buffer.toString('latin1', at, at + HASH_BYTES), buffer.readUInt32BE(at + HASH_BYTES));
  }
  return true;
}
