/** Everything the request handlers share: store, identity, limits, faults, counters and records. */
import { MailboxLimits, FaultQueue } from './faults';
import type { Identity } from './identity';
import type { DelegatedIdentity } from './identity-delegated';
import { checkSchema, type SchemaSet } from './schemas';
import type { MailStore } from './store';
import type { Subscriptions } from './subscriptions';
import {
  OPERATIONS,
  type Counters,
  type Operation,
  type RequestRecord,
  type SchemaViolation,
  type SentRecord,
} from './types';

export interface UploadSession {
  id: string;
  mailbox: string;
  messageId: string;
  name: string;
  size: number;
  contentType: string;
  isInline: boolean;
  contentId: string | null;
  chunks: Buffer[];
  received: number;
  expiresAt: number;
  expired: boolean;
}

/** Fresh zeroed counters. */
export function emptyCounters(): Counters {
  return {
    tokenRequests: 0,
    discoveryRequests: 0,
    graphRequests: 0,
    operations: 0,
    byOperation: Object.fromEntries(OPERATIONS.map((op) => [op, 0])) as Record<Operation, number>,
    batchRequests: 0,
    throttled: 0,
    bytesIn: 0,
    bytesOut: 0,
    maxInFlightByMailbox: {},
  };
}

export class SimState {
  counters: Counters = emptyCounters();
  requests: RequestRecord[] = [];
  schemaViolations: SchemaViolation[] = [];
  readonly sent: SentRecord[] = [];
  readonly faults = new FaultQueue();
  readonly limits: MailboxLimits;
  readonly uploads = new Map<string, UploadSession>();
  /** Delta and next links carry this; invalidateDeltaTokens() bumps it. */
  deltaGeneration = 1;
  baseUrl = '';
  /** Change-notification subscriptions; set by the Simulator right after construction. */
  subscriptions!: Subscriptions;
  /** Delegated sign-in (set by the Simulator right after construction). */
  delegated!: DelegatedIdentity;

  constructor(
    readonly store: MailStore,
    readonly identity: Identity,
    opts: {
      latencyMs: number;
      concurrencyLimit: number;
      rateLimit: { operations: number; windowMs: number } | null;
    },
  ) {
    this.limits = new MailboxLimits(opts.latencyMs, opts.concurrencyLimit, opts.rateLimit, (mailbox, n) => {
      const max = this.counters.maxInFlightByMailbox;
      if ((max[mailbox] ?? 0) < n) max[mailbox] = n;
    });
  }

  /** Validates a value and records a violation when it does not conform. */
  validate(
    direction: 'request' | 'response',
    set: SchemaSet,
    def: string,
    value: unknown,
    path: string,
  ): string[] {
    const result = checkSchema(set, def, value);
    if (!result.ok)
      this.schemaViolations.push({ direction, schema: result.schema, path, errors: result.errors });
    return result.errors;
  }

  countOperation(operation: Operation): void {
    this.counters.operations++;
    this.counters.byOperation[operation]++;
  }
}
