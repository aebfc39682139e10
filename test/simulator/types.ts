/** Public types of the Graph + identity simulator (test-only, never shipped). */
import type { Quirks } from './quirks';

export type Operation =
  | 'token'
  | 'discovery'
  | 'listFolders'
  | 'getFolder'
  | 'createFolder'
  | 'listMessages'
  | 'delta'
  | 'getMessage'
  | 'patchMessage'
  | 'deleteMessage'
  | 'moveMessage'
  | 'copyMessage'
  | 'createReply'
  | 'createReplyAll'
  | 'createForward'
  | 'getMime'
  | 'listAttachments'
  | 'getAttachment'
  | 'getAttachmentValue'
  | 'addAttachment'
  | 'createUploadSession'
  | 'uploadChunk'
  | 'sendMail'
  | 'createDraft'
  | 'sendDraft'
  | 'batch'
  | 'getUser'
  | 'createSubscription'
  | 'listSubscriptions'
  | 'getSubscription'
  | 'updateSubscription'
  | 'deleteSubscription'
  | 'reauthorizeSubscription'
  | 'authorize'
  | 'deviceCode';

export const OPERATIONS: readonly Operation[] = [
  'token',
  'discovery',
  'listFolders',
  'getFolder',
  'createFolder',
  'listMessages',
  'delta',
  'getMessage',
  'patchMessage',
  'deleteMessage',
  'moveMessage',
  'copyMessage',
  'createReply',
  'createReplyAll',
  'createForward',
  'getMime',
  'listAttachments',
  'getAttachment',
  'getAttachmentValue',
  'addAttachment',
  'createUploadSession',
  'uploadChunk',
  'sendMail',
  'createDraft',
  'sendDraft',
  'batch',
  'getUser',
  'createSubscription',
  'listSubscriptions',
  'getSubscription',
  'updateSubscription',
  'deleteSubscription',
  'reauthorizeSubscription',
  'authorize',
  'deviceCode',
];

export interface AppRegistration {
  clientId: string;
  /** The name sign-in and consent pages show. */
  displayName?: string;
  secrets?: { value: string; expired?: boolean }[];
  /** PEM certificates whose private keys may sign client assertions. */
  certificates?: string[];
  /** Application permissions granted, put in the token's `roles` claim. */
  roles: string[];
  /** An application access policy denies these mailboxes (403). */
  deniedMailboxes?: string[];
  /** Who may sign in (the manifest's signInAudience); default single tenant. */
  signInAudience?: SignInAudience;
  /** Redirect URIs by platform: `web` redeems codes with the secret, `publicClient` (mobile and desktop) without. */
  redirectUris?: RedirectUri[];
  /** "Allow public client flows" (needed for the device code flow). */
  allowPublicClientFlows?: boolean;
  /** Assignment required: only these users (address or object id) may sign in (AADSTS50105 for others). */
  assignedUsers?: string[];
}

export type SignInAudience =
  'AzureADMyOrg' | 'AzureADMultipleOrgs' | 'AzureADandPersonalMicrosoftAccount' | 'PersonalMicrosoftAccount';

export interface RedirectUri {
  uri: string;
  platform: 'web' | 'publicClient';
}

export interface RateLimit {
  operations: number;
  windowMs: number;
}

export interface SimulatorOptions {
  /** 0 = random (default). */
  port?: number;
  tenantId?: string;
  tenantDomain?: string;
  apps?: AppRegistration[];
  tokenLifetimeSec?: number;
  latencyMs?: number;
  /** Per mailbox, default 4; 0 = unlimited. */
  concurrencyLimit?: number;
  rateLimit?: RateLimit | null;
  caFile?: string;
  mailboxes?: string[];
  /** Authorization code lifetime (default 600 s, as Entra's "about 10 minutes"). */
  authCodeLifetimeSec?: number;
  /** Device code lifetime (default 900 s) and polling interval (default 5 s), as Entra answers. */
  deviceCodeLifetimeSec?: number;
  deviceCodeIntervalSec?: number;
  /** Seed of the generator the random quirks draw from (default 10): the same seed repeats a run. */
  seed?: number;
  /** Nondeterministic quirks to turn on from the start (all off by default); see quirks.ts. */
  quirks?: Partial<Quirks>;
  /** false: a cloud without message delta (the delta route answers 400 ErrorInvalidIdMalformed). Default true. */
  messageDelta?: boolean;
  /** A move keeps lastModifiedDateTime and changeKey (default false: the moved copy gets new ones). */
  moveKeepsLastModified?: boolean;
  /** Largest request body (default 4 MiB = 4,194,304 bytes); larger ones answer 413. */
  maxRequestBytes?: number;
  /** Maximum message size of every mailbox (default 35 MiB, Exchange Online's MaxSendSize; admins may raise it to 150 MiB). */
  maxMessageBytes?: number;
  /** Upload volume per app and mailbox (default 150 MiB per 5 minutes); null = unlimited. */
  uploadLimit?: { bytes: number; windowMs: number } | null;
}

export interface FaultMatch {
  operation?: Operation | Operation[];
  method?: string;
  mailbox?: string;
  pathIncludes?: string;
  inBatch?: boolean;
}

export interface Address {
  name?: string;
  address: string;
}

export interface SeedMessage {
  subject?: string;
  from?: string | Address | null;
  to?: string[];
  cc?: string[];
  bcc?: string[];
  replyTo?: string[];
  body?: string;
  bodyType?: 'text' | 'html';
  isRead?: boolean;
  importance?: 'low' | 'normal' | 'high';
  receivedDateTime?: string;
  /** Defaults to receivedDateTime; $search orders by it. */
  sentDateTime?: string;
  /** Defaults to now (when the mail is added): a mail last changed long ago (claim timeouts). */
  lastModifiedDateTime?: string;
  headers?: Record<string, string>;
  internetMessageId?: string;
  attachments?: SeedAttachment[];
}

export type SeedAttachment =
  | {
      kind: 'file';
      name: string;
      contentType?: string;
      content: Buffer;
      isInline?: boolean;
      contentId?: string;
    }
  | { kind: 'item'; name: string; message: SeedMessage }
  | { kind: 'contact'; name: string; contact: SeedContact }
  | { kind: 'event'; name: string; event: SeedEvent }
  | { kind: 'reference'; name: string; sourceUrl?: string };

/** A contact attached to a mail as an item attachment ($value is a vCard). */
export interface SeedContact {
  displayName: string;
  givenName?: string;
  surname?: string;
  email?: string;
  phone?: string;
  company?: string;
}

/** An event attached to a mail as an item attachment ($value is an iCalendar). */
export interface SeedEvent {
  subject: string;
  /** ISO date-times (UTC). */
  start: string;
  end: string;
  location?: string;
  organizer?: string;
}

export interface Recipient {
  emailAddress: { name: string; address: string };
}

export interface StoredAttachment {
  '@odata.type':
    | '#microsoft.graph.fileAttachment'
    | '#microsoft.graph.itemAttachment'
    | '#microsoft.graph.referenceAttachment';
  id: string;
  name: string;
  /** null for item attachments (Graph's get-attachment example). */
  contentType: string | null;
  size: number;
  isInline: boolean;
  lastModifiedDateTime: string;
  contentId?: string | null;
  /** Bytes of a file attachment (empty for reference attachments). */
  content: Buffer;
  /** The attached message of an item attachment. */
  item?: StoredMessage;
  /** The attached contact or event of an item attachment. */
  contact?: SeedContact;
  event?: SeedEvent;
  sourceUrl?: string;
}

/** Graph's dateTimeTimeZone. */
export interface DateTimeTimeZone {
  dateTime: string;
  timeZone: string;
}

/** Graph's followupFlag: the status and, when set, the dates of a follow-up. */
export interface FollowupFlag {
  flagStatus: 'notFlagged' | 'complete' | 'flagged';
  startDateTime?: DateTimeTimeZone;
  dueDateTime?: DateTimeTimeZone;
  completedDateTime?: DateTimeTimeZone;
}

export interface StoredMessage {
  id: string;
  createdDateTime: string;
  lastModifiedDateTime: string;
  changeKey: string;
  categories: string[];
  receivedDateTime: string;
  sentDateTime: string;
  hasAttachments: boolean;
  internetMessageId: string;
  subject: string;
  bodyPreview: string;
  importance: 'low' | 'normal' | 'high';
  parentFolderId: string;
  conversationId: string;
  conversationIndex: string;
  isDeliveryReceiptRequested: boolean;
  isReadReceiptRequested: boolean;
  isRead: boolean;
  isDraft: boolean;
  webLink: string;
  inferenceClassification: 'focused' | 'other';
  body: { contentType: 'text' | 'html'; content: string };
  sender: Recipient | null;
  from: Recipient | null;
  toRecipients: Recipient[];
  ccRecipients: Recipient[];
  bccRecipients: Recipient[];
  replyTo: Recipient[];
  flag: FollowupFlag;
  internetMessageHeaders: { name: string; value: string }[];
  attachments: StoredAttachment[];
  /** Threading headers of a reply or forward (set by Exchange from the original; not Graph properties). */
  inReplyTo?: string;
  references?: string;
}

export interface SentRecord {
  mailbox: string;
  via: 'sendMail' | 'draft';
  saveToSentItems: boolean;
  message: StoredMessage;
  at: Date;
}

export interface Counters {
  tokenRequests: number;
  discoveryRequests: number;
  /** HTTP requests to /v1.0 and to upload URLs. */
  graphRequests: number;
  /** Graph operations, batch items included. */
  operations: number;
  byOperation: Record<Operation, number>;
  batchRequests: number;
  throttled: number;
  bytesIn: number;
  bytesOut: number;
  maxInFlightByMailbox: Record<string, number>;
}

export interface RequestRecord {
  at: Date;
  method: string;
  /** Exactly as received, still percent-encoded, without the query. */
  rawPath: string;
  query: Record<string, string>;
  operation: Operation | null;
  mailbox: string | null;
  status: number;
  inBatch: boolean;
  /** Lower-case names; authorization removed. */
  headers: Record<string, string>;
}

export interface SchemaViolation {
  direction: 'request' | 'response';
  schema: string;
  path: string;
  errors: string[];
}
