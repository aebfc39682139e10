/** What one poll works with, what it reports, and the running totals a receiver keeps. */
import type { ReceiveApi } from './assemble';
import type { ReceiveHooks } from './hooks';
import type { SkipMemory } from './memory';
import type { ReceiveOptions } from './options';
import type { PageSizes } from './page-size';

/** The result of one poll. */
export interface PollSummary {
  delivered: number;
  /** Mails that could not be read (reported through mailFailed). */
  failed: number;
  /** Mails whose acknowledgement failed in this poll. */
  ackFailed: number;
  /** Mails another consumer claimed first. */
  claimsLost: number;
  /** Stale claims moved back into the polled folder. */
  released: number;
  /** The poll stopped at maxMessages; more mail may be waiting. */
  limited: boolean;
}

/** Running totals, for the status, tests and the benchmark. */
export interface ReceiverCounters {
  polls: number;
  delivered: number;
  failed: number;
  acknowledged: number;
  ackFailed: number;
  claimsWon: number;
  claimsLost: number;
  released: number;
  /** Graph operations asked for (each `$batch` item counts, as Exchange counts them). */
  operations: number;
  /** Listing or delta pages read. */
  pages: number;
}

export function emptySummary(): PollSummary {
  return { delivered: 0, failed: 0, ackFailed: 0, claimsLost: 0, released: 0, limited: false };
}

export function emptyCounters(): ReceiverCounters {
  return {
    polls: 0,
    delivered: 0,
    failed: 0,
    acknowledged: 0,
    ackFailed: 0,
    claimsWon: 0,
    claimsLost: 0,
    released: 0,
    operations: 0,
    pages: 0,
  };
}

/** Everything one poll works with, handed to each way of polling. */
export interface PollContext {
  api: ReceiveApi;
  options: ReceiveOptions;
  hooks: ReceiveHooks;
  memory: SkipMemory;
  counters: ReceiverCounters;
  summary: PollSummary;
  /** How big pages are (smaller after Graph timed out on big ones); kept by the receiver across polls. */
  pages: PageSizes;
  signal?: AbortSignal;
}

/** Counts one listing or delta page (one Graph operation). */
export function countPage(ctx: PollContext): void {
  ctx.counters.pages++;
  ctx.counters.operations++;
}
