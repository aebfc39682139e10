/** Everything the request handlers share: store, identity, limits, faults, counters and records. */
import { MailboxLimits, FaultQueue, UploadVolume } from './faults';
import { DEFAULT_QUIRKS, Random, type Quirks } from './quirks';
import type { Identity } from './identity';
import type { DelegatedIdentity } from './identity-delegated';
import { messageTooLarge } from './errors';
import { checkSchema, type SchemaSet } from './schemas';
import { base64Size, messageSize, type MailStore } from './store';
import type { Subscriptions } from './subscriptions';
import {
  OPERATIONS,
  type Counters,
  type Operation,
  type RequestRecord,
  type SchemaViolation,
  type SentRecord,
  type StoredMessage,
} from './types';

export interface UploadSession {
  id: string;
  /** The app that created the session (upload volume is counted per app and mailbox). */
  appId: string;
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

/** Seed of the quirks' generator unless the options give one. */
export const DEFAULT_SEED = 10;

/** Outlook: 150 MB of PATCH/POST/PUT bodies per app and mailbox in 5 minutes (throttling-limits page). */
export const DEFAULT_UPLOAD_LIMIT = { bytes: 150 * 1024 * 1024, windowMs: 5 * 60 * 1000 };

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
  /** Nondeterministic quirks (all off by default) and the generator they draw from. */
  quirks: Quirks = { ...DEFAULT_QUIRKS };
  readonly random: Random;
  /** The next n requests that carry a saved delta or next link answer 410 (staleNextDeltaLinks). */
  staleDeltaLinks = 0;
  /** Shuffled delta rounds: round id -> entries in the order they are served. */
  readonly deltaRounds = new Map<string, { seq: number; id: string; removed: boolean }[]>();
  deltaRoundCounter = 0;
  /** false models a cloud without message delta (21Vianet): the delta route answers 400 ErrorInvalidIdMalformed. */
  messageDelta = true;
  /** A move keeps lastModifiedDateTime and changeKey (false: the moved copy gets new ones). */
  moveKeepsLastModified = false;
  /** Largest request body accepted (413 above). */
  maxRequestBytes = 4 * 1024 * 1024;
  /** Exchange's maximum message size (MaxSendSize), per mailbox, and the default for others. */
  maxMessageBytes = 35 * 1024 * 1024;
  readonly maxMessageBytesByMailbox = new Map<string, number>();
  /** Bytes of PATCH/POST/PUT bodies per app and mailbox in a sliding window (Outlook: 150 MB per 5 minutes). */
  readonly uploadVolume: UploadVolume;

  constructor(
    readonly store: MailStore,
    readonly identity: Identity,
    opts: {
      latencyMs: number;
      concurrencyLimit: number;
      rateLimit: { operations: number; windowMs: number } | null;
      seed?: number;
      uploadLimit?: { bytes: number; windowMs: number } | null;
    },
  ) {
    this.random = new Random(opts.seed ?? DEFAULT_SEED);
    this.uploadVolume = new UploadVolume(
      opts.uploadLimit === undefined ? DEFAULT_UPLOAD_LIMIT : opts.uploadLimit,
    );
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

  /** The maximum message size of a mailbox. */
  maxMessageSize(mailbox: string): number {
    return this.maxMessageBytesByMailbox.get(mailbox.toLowerCase()) ?? this.maxMessageBytes;
  }

  /** Throws 400 ErrorMessageSizeExceeded when a message (plus raw bytes still being uploaded) is over the limit. */
  checkMessageSize(mailbox: string, message: StoredMessage, uploadingBytes = 0): void {
    if (messageSize(message) + base64Size(uploadingBytes) > this.maxMessageSize(mailbox))
      throw messageTooLarge();
  }

  countOperation(operation: Operation): void {
    this.counters.operations++;
    this.counters.byOperation[operation]++;
  }
}
