/** In-memory mailboxes, folders and messages, kept sorted so that listing large folders stays cheap. */
import { preview } from './bodies';
import { renderICalendar, renderVCard } from './mime';
import { exchangeId, graphTime, stableGuid } from './ids';
import type {
  Address,
  Recipient,
  SeedAttachment,
  SeedMessage,
  StoredAttachment,
  StoredMessage,
} from './types';

export const WELL_KNOWN: Record<string, string> = {
  inbox: 'Inbox',
  drafts: 'Drafts',
  sentitems: 'Sent Items',
  deleteditems: 'Deleted Items',
  archive: 'Archive',
  junkemail: 'Junk Email',
  outbox: 'Outbox',
};

export interface Folder {
  id: string;
  displayName: string;
  parentFolderId: string;
  wellKnownName?: string;
  childIds: string[];
  /** Message ids ordered by (receivedDateTime, insertion): oldest first. */
  order: { key: number; seq: number; id: string }[];
  /** Messages removed from (or moved out of) this folder, for delta; seq ascending. */
  removed: { id: string; seq: number }[];
  /** Message ids in ascending change order (re-inserted on every change), so delta pages need no sort. */
  byChange: Map<string, number>;
}

export interface MessageRecord {
  message: StoredMessage;
  mailbox: Mailbox;
  sortKey: number;
  seq: number;
  /** Store-wide change number of the last add or update (delta uses it as a cursor). */
  changeSeq: number;
  /** When the message was added to its folder or last changed (ms), for the search index lag. */
  changedAt: number;
}

export interface Mailbox {
  address: string;
  userId: string;
  displayName: string;
  state: 'active' | 'inactive';
  rootId: string;
  folders: Map<string, Folder>;
  wellKnown: Map<string, string>;
  messages: Map<string, MessageRecord>;
  sendAs: Set<string>;
  /** Users (object ids) the owner gave access to this mailbox: read, readWrite (Full Access), send (Send As). */
  delegates?: Map<string, Set<'read' | 'readWrite' | 'send'>>;
  /** Bumped on every insert and removal; keys the cached mailbox-wide order. */
  version: number;
  sortedCache?: { version: number; records: MessageRecord[] };
}

/** The thrown error when a test helper is given something the store does not know. */
export class StoreError extends Error {}

export class MailStore {
  readonly mailboxes = new Map<string, Mailbox>();
  private readonly byUserId = new Map<string, Mailbox>();
  /** Told of every message stored in a folder (new, moved in, delivered), e.g. for change notifications. */
  readonly insertListeners: ((mailbox: Mailbox, folder: Folder, record: MessageRecord) => void)[] = [];
  private seqCounter = 0;
  private lastSeededTime = Date.now() - 3600 * 1000;

  constructor(private readonly tenantDomain: string) {}

  /** Next store-wide change number. */
  nextSeq(): number {
    return ++this.seqCounter;
  }

  get currentSeq(): number {
    return this.seqCounter;
  }

  addMailbox(address: string, state: 'active' | 'inactive' = 'active'): Mailbox {
    const key = address.trim().toLowerCase();
    if (!/^[^@\s]+@[^@\s]+$/.test(key))
      throw new StoreError(`simulator: invalid mailbox address '${address}'`);
    const existing = this.mailboxes.get(key);
    if (existing) {
      existing.state = state;
      return existing;
    }
    const rootId = exchangeId('AQMkAD');
    const mailbox: Mailbox = {
      address: key,
      userId: stableGuid(key),
      displayName: key.split('@')[0],
      state,
      rootId,
      folders: new Map(),
      wellKnown: new Map(),
      messages: new Map(),
      sendAs: new Set(),
      version: 0,
    };
    const root = this.newFolder(mailbox, 'Top of Information Store', '', 'msgfolderroot');
    mailbox.rootId = root.id;
    for (const [name, displayName] of Object.entries(WELL_KNOWN))
      this.newFolder(mailbox, displayName, root.id, name);
    this.mailboxes.set(key, mailbox);
    this.byUserId.set(mailbox.userId, mailbox);
    return mailbox;
  }

  private newFolder(mailbox: Mailbox, displayName: string, parentId: string, wellKnownName?: string): Folder {
    const folder: Folder = {
      id: exchangeId('AAMkAGF'),
      displayName,
      parentFolderId: parentId,
      wellKnownName,
      childIds: [],
      order: [],
      removed: [],
      byChange: new Map(),
    };
    mailbox.folders.set(folder.id, folder);
    if (wellKnownName) mailbox.wellKnown.set(wellKnownName, folder.id);
    mailbox.folders.get(parentId)?.childIds.push(folder.id);
    return folder;
  }

  /** Finds a mailbox by UPN/SMTP address (any case) or user id. */
  findMailbox(nameOrId: string): Mailbox | undefined {
    return (
      this.mailboxes.get(nameOrId.trim().toLowerCase()) ?? this.byUserId.get(nameOrId.trim().toLowerCase())
    );
  }

  mailbox(address: string): Mailbox {
    const mailbox = this.findMailbox(address);
    if (!mailbox) throw new StoreError(`simulator: no mailbox '${address}' (add it with sim.addMailbox)`);
    return mailbox;
  }

  /** Resolves a well-known name or a folder id, as Graph does in paths. */
  findFolder(mailbox: Mailbox, idOrWellKnown: string): Folder | undefined {
    const wellKnownId = mailbox.wellKnown.get(idOrWellKnown.toLowerCase());
    return mailbox.folders.get(wellKnownId ?? idOrWellKnown);
  }

  /** Resolves a well-known name, an id or a display-name path such as 'Inbox/Orders' (test helpers only). */
  folderByPath(mailbox: Mailbox, pathOrId: string): Folder {
    const direct = this.findFolder(mailbox, pathOrId);
    if (direct) return direct;
    let current: Folder | undefined = mailbox.folders.get(mailbox.rootId);
    for (const part of pathOrId.split('/').filter(Boolean)) {
      const children: Folder[] = (current?.childIds ?? []).map((id) => mailbox.folders.get(id) as Folder);
      const wanted = part.toLowerCase();
      current =
        children.find((f) => f.displayName.toLowerCase() === wanted) ??
        (current?.id === mailbox.rootId ? this.findFolder(mailbox, part) : undefined);
      if (!current) throw new StoreError(`simulator: no folder '${pathOrId}' in ${mailbox.address}`);
    }
    if (!current) throw new StoreError(`simulator: no folder '${pathOrId}' in ${mailbox.address}`);
    return current;
  }

  createFolder(mailbox: Mailbox, parent: Folder, displayName: string): Folder {
    return this.newFolder(mailbox, displayName, parent.id);
  }

  childFolders(mailbox: Mailbox, parent: Folder): Folder[] {
    return parent.childIds.map((id) => mailbox.folders.get(id) as Folder);
  }

  /** Stores a message in a folder (keeps the folder order sorted by receivedDateTime). */
  insert(mailbox: Mailbox, folder: Folder, message: StoredMessage): MessageRecord {
    message.parentFolderId = folder.id;
    const record: MessageRecord = {
      message,
      mailbox,
      sortKey: Date.parse(message.receivedDateTime),
      seq: this.nextSeq(),
      changeSeq: 0,
      changedAt: Date.now(),
    };
    record.changeSeq = record.seq;
    mailbox.messages.set(message.id, record);
    mailbox.version++;
    folder.byChange.set(message.id, record.changeSeq);
    const order = folder.order;
    const entry = { key: record.sortKey, seq: record.seq, id: message.id };
    // New mail is usually the newest: append fast, otherwise binary search.
    if (order.length === 0 || compareEntries(order[order.length - 1], entry) < 0) order.push(entry);
    else order.splice(lowerBound(order, entry), 0, entry);
    for (const listener of this.insertListeners) listener(mailbox, folder, record);
    return record;
  }

  /** Removes a message from its folder; false when it is already gone (lost a race). */
  remove(mailbox: Mailbox, id: string): boolean {
    const record = mailbox.messages.get(id);
    if (!record) return false;
    mailbox.messages.delete(id);
    mailbox.version++;
    const folder = mailbox.folders.get(record.message.parentFolderId);
    if (folder) {
      folder.byChange.delete(id);
      const entry = { key: record.sortKey, seq: record.seq, id };
      const at = lowerBound(folder.order, entry);
      if (folder.order[at]?.id === id) folder.order.splice(at, 1);
      else folder.order = folder.order.filter((e) => e.id !== id);
      folder.removed.push({ id, seq: this.nextSeq() });
    }
    return true;
  }

  /** Marks a message changed (new changeKey and lastModifiedDateTime, seen by delta). */
  touch(record: MessageRecord, opts: { keepLastModified?: boolean } = {}): void {
    record.changeSeq = this.nextSeq();
    record.changedAt = Date.now();
    const byChange = record.mailbox.folders.get(record.message.parentFolderId)?.byChange;
    byChange?.delete(record.message.id);
    byChange?.set(record.message.id, record.changeSeq);
    if (opts.keepLastModified) return;
    record.message.changeKey = changeKey();
    record.message.lastModifiedDateTime = graphTime(Date.now());
  }

  /** Records of one folder, newest first (or oldest first with ascending). */
  folderRecords(mailbox: Mailbox, folder: Folder, ascending = false): Iterable<MessageRecord> {
    const order = folder.order;
    return {
      *[Symbol.iterator]() {
        for (let i = 0; i < order.length; i++) {
          const entry = order[ascending ? i : order.length - 1 - i];
          const record = mailbox.messages.get(entry.id);
          if (record) yield record;
        }
      },
    };
  }

  /** Records of the whole mailbox, newest first (or oldest first). */
  allRecords(mailbox: Mailbox, ascending = false): MessageRecord[] {
    // Cached per mailbox version, so paging /users/{u}/messages does not sort the mailbox on every page.
    if (mailbox.sortedCache?.version !== mailbox.version) {
      const records = [...mailbox.messages.values()];
      records.sort((a, b) => compareEntries({ key: a.sortKey, seq: a.seq }, { key: b.sortKey, seq: b.seq }));
      mailbox.sortedCache = { version: mailbox.version, records };
    }
    const records = [...mailbox.sortedCache.records];
    return ascending ? records : records.reverse();
  }

  /** Builds a StoredMessage from a test seed. */
  fromSeed(mailbox: Mailbox, seed: SeedMessage = {}): StoredMessage {
    const received = seed.receivedDateTime ?? this.nextSeedTime();
    const from = seed.from === null ? null : toRecipient(seed.from ?? `sender@${this.tenantDomain}`);
    const body = seed.body ?? `Body of ${seed.subject ?? 'a test mail'}`;
    const bodyType = seed.bodyType ?? (/^\s*</.test(body) ? 'html' : 'text');
    const message = newMessage({
      subject: seed.subject ?? 'Test mail',
      body: { contentType: bodyType, content: body },
      from,
      sender: from,
      toRecipients: (seed.to ?? [mailbox.address]).map(toRecipient),
      ccRecipients: (seed.cc ?? []).map(toRecipient),
      bccRecipients: (seed.bcc ?? []).map(toRecipient),
      replyTo: (seed.replyTo ?? []).map(toRecipient),
      isRead: seed.isRead ?? false,
      importance: seed.importance ?? 'normal',
      receivedDateTime: normaliseTime(received),
      sentDateTime: normaliseTime(seed.sentDateTime ?? received),
      internetMessageId: seed.internetMessageId ?? `<${exchangeId('sim').slice(3, 30)}@${this.tenantDomain}>`,
      attachments: (seed.attachments ?? []).map((a) => this.attachmentFromSeed(mailbox, a)),
    });
    message.internetMessageHeaders = defaultHeaders(message, seed.headers);
    if (seed.lastModifiedDateTime) message.lastModifiedDateTime = normaliseTime(seed.lastModifiedDateTime);
    return message;
  }

  private attachmentFromSeed(mailbox: Mailbox, seed: SeedAttachment): StoredAttachment {
    if (seed.kind === 'file') {
      return fileAttachment(seed.name, seed.contentType ?? 'application/octet-stream', seed.content, {
        isInline: seed.isInline ?? false,
        contentId: seed.contentId ?? null,
      });
    }
    if (seed.kind === 'contact' || seed.kind === 'event') {
      const text = seed.kind === 'contact' ? renderVCard(seed.contact) : renderICalendar(seed.event);
      return {
        '@odata.type': '#microsoft.graph.itemAttachment',
        id: exchangeId('AAMkAGA'),
        name: seed.name,
        // Graph gives no content type for item attachments (attachment-get page: "contentType": null).
        contentType: null,
        size: 1024 + text.length,
        isInline: false,
        lastModifiedDateTime: graphTime(Date.now()),
        content: Buffer.alloc(0),
        ...(seed.kind === 'contact' ? { contact: { ...seed.contact } } : { event: { ...seed.event } }),
      };
    }
    if (seed.kind === 'item') {
      const item = this.fromSeed(mailbox, seed.message);
      return {
        '@odata.type': '#microsoft.graph.itemAttachment',
        id: exchangeId('AAMkAGA'),
        name: seed.name,
        contentType: null,
        size: 2048 + item.body.content.length,
        isInline: false,
        lastModifiedDateTime: graphTime(Date.now()),
        content: Buffer.alloc(0),
        item,
      };
    }
    return {
      '@odata.type': '#microsoft.graph.referenceAttachment',
      id: exchangeId('AAMkAGA'),
      name: seed.name,
      contentType: 'text/html',
      size: 512,
      isInline: false,
      lastModifiedDateTime: graphTime(Date.now()),
      content: Buffer.alloc(0),
      sourceUrl: seed.sourceUrl ?? `https://contoso.sharepoint.example/${encodeURIComponent(seed.name)}`,
    };
  }

  private nextSeedTime(): string {
    // Seeded mail is 1 s apart and never in the future, so ordering by receivedDateTime is stable.
    this.lastSeededTime = Math.min(
      Math.max(this.lastSeededTime + 1000, Date.now() - 3600 * 1000),
      Date.now(),
    );
    return graphTime(this.lastSeededTime);
  }
}

function compareEntries(a: { key: number; seq: number }, b: { key: number; seq: number }): number {
  return a.key - b.key || a.seq - b.seq;
}

function lowerBound(order: { key: number; seq: number }[], entry: { key: number; seq: number }): number {
  let lo = 0;
  let hi = order.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compareEntries(order[mid], entry) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function normaliseTime(value: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new StoreError(`simulator: invalid receivedDateTime '${value}'`);
  return graphTime(ms);
}

export function changeKey(): string {
  return exchangeId('CQAAABYAAA').slice(0, 40);
}

/** A recipient from 'addr', 'Name <addr>' or {name, address}. */
export function toRecipient(value: string | Address): Recipient {
  if (typeof value !== 'string')
    return { emailAddress: { name: value.name ?? value.address, address: value.address } };
  const match = /^\s*"?([^"<]*?)"?\s*<([^>]+)>\s*$/.exec(value);
  if (match) return { emailAddress: { name: match[1] || match[2], address: match[2].trim() } };
  return { emailAddress: { name: value.trim(), address: value.trim() } };
}

/** A file attachment record. */
export function fileAttachment(
  name: string,
  contentType: string,
  content: Buffer,
  opts: { isInline?: boolean; contentId?: string | null } = {},
): StoredAttachment {
  return {
    '@odata.type': '#microsoft.graph.fileAttachment',
    id: exchangeId('AAMkAGA'),
    name,
    contentType,
    size: content.length,
    isInline: opts.isInline ?? false,
    lastModifiedDateTime: graphTime(Date.now()),
    contentId: opts.contentId ?? null,
    content,
  };
}

/** A complete StoredMessage with Graph's defaults for everything not given. */
export function newMessage(fields: Partial<StoredMessage>): StoredMessage {
  const now = graphTime(Date.now());
  const body = fields.body ?? { contentType: 'text' as const, content: '' };
  const message: StoredMessage = {
    id: exchangeId(),
    createdDateTime: now,
    lastModifiedDateTime: now,
    changeKey: changeKey(),
    categories: [],
    receivedDateTime: now,
    sentDateTime: now,
    hasAttachments: false,
    internetMessageId: `<${exchangeId('sim').slice(3, 30)}@simulator.example>`,
    subject: '',
    bodyPreview: '',
    importance: 'normal',
    parentFolderId: '',
    conversationId: exchangeId('AAQkAG'),
    conversationIndex: Buffer.from(exchangeId()).toString('base64').slice(0, 44),
    isDeliveryReceiptRequested: false,
    isReadReceiptRequested: false,
    isRead: false,
    isDraft: false,
    webLink: '',
    inferenceClassification: 'focused',
    sender: null,
    from: null,
    toRecipients: [],
    ccRecipients: [],
    bccRecipients: [],
    replyTo: [],
    flag: { flagStatus: 'notFlagged' },
    internetMessageHeaders: [],
    attachments: [],
    ...fields,
    body,
  };
  refreshDerived(message);
  return message;
}

/** Recomputes bodyPreview, hasAttachments and webLink after a change. */
export function refreshDerived(message: StoredMessage): void {
  message.bodyPreview = preview(message.body.contentType, message.body.content);
  // Exchange reports hasAttachments false when the only attachments are inline.
  message.hasAttachments = message.attachments.some((a) => !a.isInline);
  message.webLink = `https://outlook.office365.com/owa/?ItemID=${encodeURIComponent(message.id)}&exvsurl=1&viewmodel=ReadMessageItem`;
}

function formatAddress(r: Recipient): string {
  const { name, address } = r.emailAddress;
  return name && name !== address ? `"${name.replace(/"/g, '')}" <${address}>` : address;
}

/** Internet headers as Exchange shows them on received mail, plus the seed's own. */
export function defaultHeaders(
  message: StoredMessage,
  extra: Record<string, string> = {},
): { name: string; value: string }[] {
  const headers: { name: string; value: string }[] = [
    {
      name: 'Received',
      value: `from simulator.example by simulator.example; ${new Date(message.receivedDateTime).toUTCString()}`,
    },
    { name: 'MIME-Version', value: '1.0' },
    {
      name: 'Content-Type',
      value:
        message.body.contentType === 'html' ? 'text/html; charset="utf-8"' : 'text/plain; charset="utf-8"',
    },
  ];
  if (message.from) headers.push({ name: 'From', value: formatAddress(message.from) });
  if (message.toRecipients.length)
    headers.push({ name: 'To', value: message.toRecipients.map(formatAddress).join(', ') });
  if (message.ccRecipients.length)
    headers.push({ name: 'CC', value: message.ccRecipients.map(formatAddress).join(', ') });
  headers.push(
    { name: 'Subject', value: message.subject },
    { name: 'Date', value: new Date(message.sentDateTime).toUTCString() },
    { name: 'Message-ID', value: message.internetMessageId },
  );
  if (message.inReplyTo) headers.push({ name: 'In-Reply-To', value: message.inReplyTo });
  if (message.references) headers.push({ name: 'References', value: message.references });
  for (const [name, value] of Object.entries(extra)) headers.push({ name, value });
  return headers;
}

/** Bytes of `n` raw bytes once base64-encoded, as they travel in MIME. */
export function base64Size(n: number): number {
  return Math.ceil(n / 3) * 4;
}

/**
 * The size Exchange holds a message to against MaxSendSize: its MIME size, in which attachments are base64-encoded
 * (Exchange's message-size-limits page: encoding adds about 33%). Headers are estimated at 1 KB.
 */
export function messageSize(message: StoredMessage): number {
  let size = 1024 + Buffer.byteLength(message.subject) + Buffer.byteLength(message.body.content);
  for (const a of message.attachments) size += base64Size(a.size);
  return size;
}

/** A deep copy of a message (attachment bytes are shared: they are never mutated). */
export function cloneMessage(message: StoredMessage): StoredMessage {
  const json = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
  return {
    ...message,
    categories: [...message.categories],
    body: { ...message.body },
    sender: json(message.sender),
    from: json(message.from),
    toRecipients: json(message.toRecipients),
    ccRecipients: json(message.ccRecipients),
    bccRecipients: json(message.bccRecipients),
    replyTo: json(message.replyTo),
    flag: json(message.flag),
    internetMessageHeaders: message.internetMessageHeaders.map((h) => ({ ...h })),
    attachments: message.attachments.map((a) => ({ ...a, item: a.item ? cloneMessage(a.item) : undefined })),
  };
}
