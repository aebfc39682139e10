/** The settings of one mail-in poll, checked once: every bad value is an error naming the property. */
import { createHash } from 'node:crypto';

export type ReceiveAction = 'read' | 'delete' | 'move' | 'none';

export interface ReceiveOptions {
  /** Mailbox to poll: UPN, SMTP address or user id. */
  mailbox: string;
  /** Well-known name, folder id or path such as `Inbox/Orders`. */
  folder: string;
  /** OData `$filter` ("" for none). Not sent when `search` is set. */
  filter: string;
  /** KQL `$search` ("" for none). */
  search: string;
  action: ReceiveAction;
  /** Destination folder for `action: move`. */
  moveTo: string;
  /** At most this many mails per poll; 0 = all. */
  maxMessages: number;
  bodyFormat: 'text' | 'html';
  /** Deliver attachment contents as Buffers. */
  attachments: boolean;
  output: 'message' | 'mime';
  /**
   * Multi-instance safety: each mail is first moved into `claimFolder` (only one mover wins), then delivered by the
   * winner alone, then acknowledged. For read, delete and move.
   */
  claim: boolean;
  /** Folder path for claims; "" = a child folder named `o365-claim` of the polled folder (created when missing). */
  claimFolder: string;
  /** A claimed mail not acknowledged for this long (a consumer died) goes back to the polled folder. */
  claimTimeoutMs: number;
}

export const DEFAULT_CLAIM_FOLDER_NAME = 'o365-claim';
export const DEFAULT_CLAIM_TIMEOUT_MS = 10 * 60 * 1000;

const ACTIONS: ReceiveAction[] = ['read', 'delete', 'move', 'none'];

/** Thrown for settings that cannot work; the message names the property. */
export class ReceiveOptionsError extends RangeError {
  constructor(
    readonly property: string,
    message: string,
  ) {
    super(message);
    this.name = 'ReceiveOptionsError';
  }
}

function str(value: unknown, fallback: string): string {
  if (value === undefined || value === null) return fallback;
  return String(value).trim();
}

function bool(value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null || value === '') return fallback;
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return Boolean(value);
}

function oneOf<T extends string>(property: string, value: unknown, allowed: readonly T[], fallback: T): T {
  const given = str(value, '') || fallback;
  if (!(allowed as readonly string[]).includes(given)) {
    throw new ReceiveOptionsError(
      property,
      `${property} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
  return given as T;
}

function wholeNumber(property: string, value: unknown, fallback: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new ReceiveOptionsError(
      property,
      `${property} must be a whole number >= 0, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

/** Normalises the node's properties into checked options (defaults per SPEC). Throws ReceiveOptionsError. */
export function normaliseReceiveOptions(raw: Partial<Record<keyof ReceiveOptions, unknown>>): ReceiveOptions {
  const mailbox = str(raw.mailbox, '');
  if (!mailbox) throw new ReceiveOptionsError('username', 'no mailbox (username) set');
  const action = oneOf('action', raw.action, ACTIONS, 'read');
  const moveTo = str(raw.moveTo, '');
  if (action === 'move' && !moveTo) {
    throw new ReceiveOptionsError('moveTo', "action 'move' needs a destination folder (moveTo)");
  }
  const folder = str(raw.folder, '') || 'inbox';
  if (folder.split('/').some((s) => s.trim() === '.' || s.trim() === '..')) {
    throw new ReceiveOptionsError('folder', `folder ${JSON.stringify(folder)} may not contain '.' or '..'`);
  }
  const claimTimeoutMs = wholeNumber('claimTimeoutMs', raw.claimTimeoutMs, DEFAULT_CLAIM_TIMEOUT_MS);
  return {
    mailbox,
    folder,
    // An explicit "" means no filter; only an absent property gets SPEC's default.
    filter: raw.filter === undefined || raw.filter === null ? 'isRead eq false' : str(raw.filter, ''),
    search: str(raw.search, ''),
    action,
    moveTo,
    maxMessages: wholeNumber('maxMessages', raw.maxMessages, 100),
    bodyFormat: oneOf('bodyFormat', raw.bodyFormat, ['text', 'html'] as const, 'text'),
    attachments: bool(raw.attachments, true),
    output: oneOf('output', raw.output, ['message', 'mime'] as const, 'message'),
    claim: bool(raw.claim, false),
    claimFolder: str(raw.claimFolder, ''),
    claimTimeoutMs: claimTimeoutMs > 0 ? claimTimeoutMs : DEFAULT_CLAIM_TIMEOUT_MS,
  };
}

/**
 * A fingerprint of what decides which mails a cursor stands for; a stored cursor made for other settings is not used
 * (changing the folder or filter starts afresh instead of skipping mail).
 */
export function cursorKey(options: ReceiveOptions): string {
  const parts = [options.mailbox.toLowerCase(), options.folder.toLowerCase(), options.filter, options.search];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}
