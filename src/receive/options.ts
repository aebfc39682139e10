/** The settings of one mail-in poll, checked once: every bad value is an error naming the property. */
import { createHash } from 'node:crypto';
import { ConfigError } from '../graph/errors';
import { readBoolean, readChoice, readText, readWholeNumber, type MailInProperties } from '../red/properties';

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

/** The mail-in properties the receive engine reads. */
export type ReceiveProperties = Pick<
  MailInProperties,
  | 'username'
  | 'folder'
  | 'filter'
  | 'search'
  | 'action'
  | 'moveTo'
  | 'maxMessages'
  | 'bodyFormat'
  | 'attachments'
  | 'output'
  | 'claim'
  | 'claimFolder'
>;

/**
 * Reads and checks the node's properties into the options of a poll (defaults as README.md "o365-mail-in" gives them). Throws a ConfigError whose
 * `property` names the property at fault.
 */
export function readReceiveOptions(raw: ReceiveProperties): ReceiveOptions {
  const mailbox = readText(raw.username, '');
  if (!mailbox) throw new ConfigError('no mailbox (username) set', { property: 'username' });
  const action = readChoice('action', raw.action, ACTIONS, 'read');
  const moveTo = readText(raw.moveTo, '');
  if (action === 'move' && !moveTo) {
    throw new ConfigError("action 'move' needs a destination folder (moveTo)", { property: 'moveTo' });
  }
  const folder = readText(raw.folder, '') || 'inbox';
  if (folder.split('/').some((s) => s.trim() === '.' || s.trim() === '..')) {
    throw new ConfigError(`folder ${JSON.stringify(folder)} may not contain '.' or '..'`, {
      property: 'folder',
    });
  }
  return {
    mailbox,
    folder,
    // An explicit "" means no filter; only an absent property gets the default.
    filter: readText(raw.filter, 'isRead eq false'),
    search: readText(raw.search, ''),
    action,
    moveTo,
    maxMessages: readWholeNumber('maxMessages', raw.maxMessages, 100),
    bodyFormat: readChoice('bodyFormat', raw.bodyFormat, ['text', 'html'] as const, 'text'),
    attachments: readBoolean('attachments', raw.attachments, true),
    output: readChoice('output', raw.output, ['message', 'mime'] as const, 'message'),
    claim: readBoolean('claim', raw.claim, false),
    claimFolder: readText(raw.claimFolder, ''),
    claimTimeoutMs: DEFAULT_CLAIM_TIMEOUT_MS,
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
