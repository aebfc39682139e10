/** How stored items look on the wire: Graph's JSON for messages, attachments and folders. */
import { convertBody } from './bodies';
import type { Folder, Mailbox } from './store';
import type { StoredAttachment, StoredMessage } from './types';

export interface MessageViewOptions {
  select?: string[];
  expandAttachments?: boolean;
  bodyType?: 'text' | 'html';
  /** ReadBasic permissions: no body, no attachments. */
  basic?: boolean;
}

/** Properties Graph leaves out unless $select names them. */
const ONLY_WHEN_SELECTED = new Set(['internetMessageHeaders', 'uniqueBody']);

/** A message as Graph returns it. */
export function messageView(message: StoredMessage, opts: MessageViewOptions = {}): Record<string, unknown> {
  const view: Record<string, unknown> = { '@odata.etag': `W/"${message.changeKey}"` };
  const wanted = opts.select ? new Set(['id', ...opts.select]) : undefined;
  const body = convertBody(message.body, opts.bodyType);
  const all: Record<string, unknown> = {
    id: message.id,
    createdDateTime: message.createdDateTime,
    lastModifiedDateTime: message.lastModifiedDateTime,
    changeKey: message.changeKey,
    categories: [...message.categories],
    receivedDateTime: message.receivedDateTime,
    sentDateTime: message.sentDateTime,
    hasAttachments: message.hasAttachments,
    internetMessageId: message.internetMessageId,
    subject: message.subject,
    bodyPreview: message.bodyPreview,
    importance: message.importance,
    parentFolderId: message.parentFolderId,
    conversationId: message.conversationId,
    conversationIndex: message.conversationIndex,
    isDeliveryReceiptRequested: message.isDeliveryReceiptRequested,
    isReadReceiptRequested: message.isReadReceiptRequested,
    isRead: message.isRead,
    isDraft: message.isDraft,
    webLink: message.webLink,
    inferenceClassification: message.inferenceClassification,
    body,
    uniqueBody: body,
    sender: clone(message.sender),
    from: clone(message.from),
    toRecipients: clone(message.toRecipients),
    ccRecipients: clone(message.ccRecipients),
    bccRecipients: clone(message.bccRecipients),
    replyTo: clone(message.replyTo),
    flag: clone(message.flag),
    internetMessageHeaders: message.internetMessageHeaders.map((h) => ({ ...h })),
  };
  for (const [key, value] of Object.entries(all)) {
    if (wanted ? !wanted.has(key) : ONLY_WHEN_SELECTED.has(key)) continue;
    if (opts.basic && (key === 'body' || key === 'uniqueBody' || key === 'internetMessageHeaders')) continue;
    if (key === 'internetMessageHeaders' && message.isDraft) continue;
    view[key] = value;
  }
  if (opts.expandAttachments && !opts.basic)
    view.attachments = message.attachments.map((a) => attachmentView(a));
  return view;
}

/** An attachment as Graph returns it (file attachments with contentBytes). */
export function attachmentView(
  attachment: StoredAttachment,
  opts: { withContent?: boolean; expandItem?: boolean } = {},
): Record<string, unknown> {
  const view: Record<string, unknown> = {
    '@odata.type': attachment['@odata.type'],
    id: attachment.id,
    lastModifiedDateTime: attachment.lastModifiedDateTime,
    name: attachment.name,
    contentType: attachment.contentType,
    size: attachment.size,
    isInline: attachment.isInline,
  };
  if (attachment['@odata.type'] === '#microsoft.graph.fileAttachment') {
    view['@odata.mediaContentType'] = attachment.contentType;
    view.contentId = attachment.contentId ?? null;
    view.contentLocation = null;
    if (opts.withContent !== false) view.contentBytes = attachment.content.toString('base64');
  }
  if (attachment['@odata.type'] === '#microsoft.graph.itemAttachment' && opts.expandItem) {
    if (attachment.item)
      view.item = { '@odata.type': '#microsoft.graph.message', ...messageView(attachment.item) };
    else if (attachment.contact) {
      const c = attachment.contact;
      view.item = {
        '@odata.type': '#microsoft.graph.contact',
        id: '',
        displayName: c.displayName,
        givenName: c.givenName ?? null,
        surname: c.surname ?? null,
        companyName: c.company ?? null,
        emailAddresses: c.email ? [{ name: c.displayName, address: c.email }] : [],
        businessPhones: c.phone ? [c.phone] : [],
      };
    } else if (attachment.event) {
      const e = attachment.event;
      view.item = {
        '@odata.type': '#microsoft.graph.event',
        id: '',
        subject: e.subject,
        start: { dateTime: e.start.replace(/Z$/, ''), timeZone: 'UTC' },
        end: { dateTime: e.end.replace(/Z$/, ''), timeZone: 'UTC' },
        location: { displayName: e.location ?? '' },
        organizer: e.organizer ? { emailAddress: { name: e.organizer, address: e.organizer } } : null,
      };
    }
  }
  return view;
}

/** A mail folder as Graph returns it. */
export function folderView(mailbox: Mailbox, folder: Folder, select?: string[]): Record<string, unknown> {
  let unread = 0;
  for (const entry of folder.order) if (mailbox.messages.get(entry.id)?.message.isRead === false) unread++;
  const all: Record<string, unknown> = {
    id: folder.id,
    displayName: folder.displayName,
    parentFolderId: folder.parentFolderId || mailbox.rootId,
    childFolderCount: folder.childIds.length,
    unreadItemCount: unread,
    totalItemCount: folder.order.length,
    sizeInBytes: folder.order.length * 2048,
    isHidden: false,
  };
  if (!select) return all;
  const wanted = new Set(['id', ...select]);
  return Object.fromEntries(Object.entries(all).filter(([k]) => wanted.has(k)));
}

function clone<T>(value: T): T {
  return value === null || value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}
