/** Incoming mail: a Graph message and its attachments -> the fields of a Node-RED msg (README.md, o365-mail-in "Output message"). */
import { safeFilename } from './attachments';
import { escapeHtml, htmlToText } from './body';
import { guessContentType } from './content-type';

export interface InboundOptions {
  mailbox: string;
  folder: string;
  bodyFormat: 'text' | 'html';
  attachments: boolean;
}

/** The Graph message properties the node asks for ($select). */
export const MESSAGE_SELECT: string[] = [
  'id',
  'subject',
  'body',
  'from',
  'sender',
  'toRecipients',
  'ccRecipients',
  'bccRecipients',
  'replyTo',
  'receivedDateTime',
  'internetMessageHeaders',
  'internetMessageId',
  'conversationId',
  'webLink',
  'importance',
  'hasAttachments',
  'isRead',
  'parentFolderId',
];

export interface GraphAttachmentLike {
  '@odata.type'?: string;
  id?: string;
  name?: string | null;
  contentType?: string | null;
  size?: number | null;
  isInline?: boolean | null;
  contentId?: string | null;
  contentBytes?: string | null;
  /** Already fetched bytes, e.g. an item attachment's .eml from `.../$value`. */
  content?: Buffer;
  sourceUrl?: string;
}

export interface MailAttachment {
  filename: string;
  contentType: string;
  size: number;
  content?: Buffer;
  contentId?: string;
  isInline: boolean;
  kind: 'file' | 'item' | 'reference';
  url?: string;
}

export interface InboundMail {
  payload: string | Buffer;
  html?: string;
  topic: string;
  from: string;
  to: string;
  cc: string;
  bcc: string;
  date: Date;
  header: Record<string, string>;
  attachments: MailAttachment[];
  o365: {
    id: string;
    internetMessageId: string;
    conversationId: string;
    webLink: string;
    mailbox: string;
    folder: string;
    importance: string;
    hasAttachments: boolean;
    receivedDateTime: string;
    replyTo?: string;
    warnings?: string[];
  };
}

/** A Graph message that cannot become a msg at all (it has no id to acknowledge it by). */
export class MappingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MappingError';
  }
}

type Json = Record<string, unknown>;

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function addressOf(recipient: unknown): string | undefined {
  if (typeof recipient !== 'object' || recipient === null) return undefined;
  const email = (recipient as Json).emailAddress;
  if (typeof email !== 'object' || email === null) return undefined;
  const address = text((email as Json).address)?.trim();
  return address || undefined;
}

/** Comma-separated addresses of a Graph recipient list ("" when none). */
function addressList(recipients: unknown): string {
  if (!Array.isArray(recipients)) return '';
  return recipients
    .map(addressOf)
    .filter((a): a is string => a !== undefined)
    .join(', ');
}

/**
 * Internet headers as { name: value }. A name that repeats (Received, ...) keeps its first spelling and its values are
 * joined with ', ', as HTTP and node-red-node-email's flattened headers do, so every value stays a string.
 */
function headersOf(raw: unknown): Record<string, string> {
  const header: Record<string, string> = {};
  if (!Array.isArray(raw)) return header;
  const spelling = new Map<string, string>();
  for (const item of raw) {
    if (typeof item !== 'object' || item === null) continue;
    const name = text((item as Json).name)?.trim();
    const value = text((item as Json).value) ?? '';
    if (!name) continue;
    const key = spelling.get(name.toLowerCase());
    if (key === undefined) {
      spelling.set(name.toLowerCase(), name);
      header[name] = value;
    } else header[key] += ', ' + value;
  }
  return header;
}

function bodyOf(
  message: Json,
  format: 'text' | 'html',
  warnings: string[],
): { payload: string; html?: string } {
  const body = message.body as Json | null | undefined;
  const content = typeof body === 'object' && body !== null ? text(body.content) : undefined;
  if (content === undefined) {
    warnings.push('the mail has no body');
    return format === 'html' ? { payload: '', html: '' } : { payload: '' };
  }
  const isHtml = String((body as Json).contentType ?? '').toLowerCase() === 'html';
  if (format === 'html') {
    const html = isHtml ? content : `<pre>${escapeHtml(content)}</pre>`;
    return { payload: html, html };
  }
  return { payload: isHtml ? htmlToText(content) : content };
}

function dateOf(message: Json, warnings: string[]): Date {
  for (const field of ['receivedDateTime', 'sentDateTime']) {
    const value = text(message[field]);
    const date = value ? new Date(value) : undefined;
    if (date && !Number.isNaN(date.getTime())) return date;
  }
  // msg.date must stay a usable Date; the time of mapping is the closest honest value.
  warnings.push('the mail has no valid receivedDateTime; msg.date is the time it was read');
  return new Date();
}

function kindOf(a: GraphAttachmentLike): MailAttachment['kind'] {
  const type = String(a['@odata.type'] ?? '').toLowerCase();
  if (type.endsWith('itemattachment')) return 'item';
  if (type.endsWith('referenceattachment')) return 'reference';
  if (!type && !a.contentBytes && !a.content && a.sourceUrl) return 'reference';
  return 'file';
}

function decodeBase64(value: string): Buffer | undefined {
  const compact = value.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(compact) || compact.replace(/=+$/, '').length % 4 === 1)
    return undefined;
  return Buffer.from(compact, 'base64');
}

/**
 * What an item attachment is, from its `$value`: Graph gives item attachments `contentType: null`, and their
 * `$value` is a vCard for a contact, an iCalendar for an event and MIME for a mail (attachment-get page).
 */
const ITEM_KINDS = [
  { begins: 'BEGIN:VCARD', contentType: 'text/vcard', extension: '.vcf' },
  { begins: 'BEGIN:VCALENDAR', contentType: 'text/calendar', extension: '.ics' },
];
const MAIL_ITEM = { contentType: 'message/rfc822', extension: '.eml' };

function itemKindOf(content: Buffer | undefined): { contentType: string; extension: string } {
  // A BOM or blank lines may come first; the first line names the format.
  const start =
    content
      ?.subarray(0, 64)
      .toString('utf8')
      .replace(/^\uFEFF/, '')
      .trimStart()
      .toUpperCase() ?? '';
  return ITEM_KINDS.find((kind) => start.startsWith(kind.begins)) ?? MAIL_ITEM;
}

function mapAttachment(
  a: GraphAttachmentLike,
  index: number,
  deliver: boolean,
  warnings: string[],
): MailAttachment {
  const kind = kindOf(a);
  const rawName = typeof a.name === 'string' ? a.name : '';
  const givenType = typeof a.contentType === 'string' ? a.contentType.trim() : '';
  const item = kind === 'item' ? itemKindOf(Buffer.isBuffer(a.content) ? a.content : undefined) : undefined;
  const contentType = givenType || item?.contentType || guessContentType(rawName);
  // Names come from the sender: strip directories so a flow writing msg.attachments to disk stays in its folder.
  let filename = safeFilename(rawName, index, contentType);
  if (item && !filename.toLowerCase().endsWith(item.extension)) filename += item.extension;
  let content: Buffer | undefined;
  if (deliver && kind !== 'reference') {
    if (Buffer.isBuffer(a.content)) content = a.content;
    else if (typeof a.contentBytes === 'string') content = decodeBase64(a.contentBytes);
    if (!content) warnings.push(`attachment ${JSON.stringify(filename)} has no readable content`);
  }
  const size = content?.length ?? (typeof a.size === 'number' && a.size >= 0 ? a.size : 0);
  const attachment: MailAttachment = { filename, contentType, size, isInline: a.isInline === true, kind };
  if (content) attachment.content = content;
  const contentId = typeof a.contentId === 'string' ? a.contentId.trim().replace(/^<(.*)>$/, '$1') : '';
  if (contentId) attachment.contentId = contentId;
  if (kind === 'reference' && typeof a.sourceUrl === 'string') attachment.url = a.sourceUrl;
  return attachment;
}

/**
 * Maps a Graph message (+ its attachments, already fetched; item attachments with `content` = the .eml) to the msg
 * fields. Partial data (no sender, no body, unreadable attachment, bad date) is filled as far as possible and listed in
 * o365.warnings; throws MappingError only when the message has no id. Inline attachments are delivered too.
 */
export function mapInboundMessage(
  message: unknown,
  attachments: GraphAttachmentLike[],
  options: InboundOptions,
): InboundMail {
  if (typeof message !== 'object' || message === null)
    throw new MappingError('the Graph message is not an object');
  const m = message as Json;
  const id = text(m.id);
  if (!id) throw new MappingError('the Graph message has no id');
  const warnings: string[] = [];
  const from = addressOf(m.from) ?? addressOf(m.sender) ?? '';
  if (!from) warnings.push('the mail has no sender');
  const list = Array.isArray(attachments) ? attachments : [];
  const mapped = list
    .filter((a): a is GraphAttachmentLike => typeof a === 'object' && a !== null)
    .map((a, i) => mapAttachment(a, i, options.attachments, warnings));
  const replyTo = addressList(m.replyTo);
  const mail: InboundMail = {
    ...bodyOf(m, options.bodyFormat, warnings),
    topic: text(m.subject) ?? '',
    from,
    to: addressList(m.toRecipients),
    cc: addressList(m.ccRecipients),
    bcc: addressList(m.bccRecipients),
    date: dateOf(m, warnings),
    header: headersOf(m.internetMessageHeaders),
    attachments: mapped,
    o365: {
      id,
      internetMessageId: text(m.internetMessageId) ?? '',
      conversationId: text(m.conversationId) ?? '',
      webLink: text(m.webLink) ?? '',
      mailbox: options.mailbox,
      folder: options.folder,
      importance: text(m.importance)?.toLowerCase() ?? 'normal',
      // Graph says false when the only attachments are inline images; what was delivered is the better answer.
      hasAttachments: m.hasAttachments === true || mapped.length > 0,
      receivedDateTime: text(m.receivedDateTime) ?? '',
    },
  };
  if (replyTo) mail.o365.replyTo = replyTo;
  if (warnings.length) mail.o365.warnings = warnings;
  return mail;
}

/** The Node-RED msg of one mail (README.md, o365-mail-in "Output message"): its fields, `msg.html` only for an HTML body. */
export function inboundMessage(mail: InboundMail): Record<string, unknown> {
  const msg: Record<string, unknown> = {
    payload: mail.payload,
    topic: mail.topic,
    from: mail.from,
    to: mail.to,
    cc: mail.cc,
    bcc: mail.bcc,
    date: mail.date,
    header: mail.header,
    attachments: mail.attachments,
    o365: mail.o365,
  };
  if (mail.html !== undefined) msg.html = mail.html;
  return msg;
}
