/** Outgoing mail: resolved node inputs -> validated Graph message, sendMail body, and the path to send it by. */
import { normaliseAttachments, type OutgoingAttachment } from './attachments';
import type { AnswerMode } from './answer';
import { payloadToBody, type BodyType } from './body';
import { checkRecipientCount, parseRecipients, type EmailAddress } from './recipients';

export type Importance = 'low' | 'normal' | 'high';

export interface GraphRecipient {
  emailAddress: EmailAddress;
}

/** Graph message JSON for sending, without attachments. */
export interface GraphOutgoingMessage {
  subject: string;
  body: { contentType: 'text' | 'html'; content: string };
  toRecipients: GraphRecipient[];
  ccRecipients: GraphRecipient[];
  bccRecipients: GraphRecipient[];
  replyTo?: GraphRecipient[];
  from?: GraphRecipient;
  importance?: Importance;
  internetMessageHeaders?: { name: string; value: string }[];
  /** Set by the send engine, so it can find the mail again (src/send/repeat.ts). */
  internetMessageId?: string;
}

/** Already resolved by the node (TypedInputs evaluated, fallbacks such as msg.topic / msg.to applied). */
export interface SendRequestInput {
  subject: unknown;
  to: unknown;
  cc: unknown;
  bcc: unknown;
  replyTo?: unknown;
  from?: unknown;
  /** 'low' | 'normal' | 'high', case-insensitive; wins over `priority`. */
  importance?: unknown;
  /** node-red-node-email's msg.priority: 'high'/1/2 -> high, 'normal'/3 -> normal, 'low'/4/5 -> low. */
  priority?: unknown;
  /** { 'x-foo': 'v' }: only X- headers are kept (Graph rejects others); the dropped ones are listed in warnings. */
  headers?: unknown;
  /** A Buffer payload with a filename becomes an attachment and the body is empty (node-red-node-email's rule). */
  payload: unknown;
  filename?: unknown;
  attachments?: unknown;
  bodyType: BodyType;
  /**
   * An answer in a thread: a reply or reply all may add no recipient (Graph chooses them); a forward needs a To.
   * Absent: a new mail, which needs a recipient.
   */
  mode?: AnswerMode;
}

export interface OutgoingMail {
  message: GraphOutgoingMessage;
  attachments: OutgoingAttachment[];
  warnings: string[];
}

/**
 * The largest JSON request the node plans (3.75 MiB): 256 KiB under Graph's 4 MiB, because Graph can refuse a body
 * just under 4 MB (413; its "4 MB" may be 4,000,000 bytes, and what a gateway counts is not documented). Requests
 * larger than this go by draft, attachment POSTs and upload sessions.
 */
export const SEND_MAIL_LIMIT_BYTES = 4 * 1024 * 1024 - 256 * 1024;
/** Attachments of 3 MB and more go by upload session. */
export const UPLOAD_SESSION_THRESHOLD = 3 * 1024 * 1024;
/** Exchange Online's largest maximum message size (an admin can raise MaxSendSize up to it). */
export const MAX_MESSAGE_BYTES = 150 * 1024 * 1024;
/** What the headers of a mail add to its size, as the node estimates it. */
const HEADER_ALLOWANCE_BYTES = 1024;

const FILE_ATTACHMENT = '#microsoft.graph.fileAttachment';
const HEADER_NAME = /^x-[!#$%&'*+.^_`|~0-9a-z-]+$/i;

function toGraph(list: EmailAddress[]): GraphRecipient[] {
  return list.map((emailAddress) => ({ emailAddress }));
}

function cleanSubject(subject: unknown): string {
  const text = subject === undefined || subject === null ? '' : String(subject);
  // A line break in a subject would fold or inject headers; users mean a space.
  // eslint-disable-next-line no-control-regex
  return text.replace(/\s*[\r\n]+\s*/g, ' ').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '');
}

const PRIORITY: Record<string, Importance> = {
  high: 'high',
  '1': 'high',
  '2': 'high',
  normal: 'normal',
  '3': 'normal',
  low: 'low',
  '4': 'low',
  '5': 'low',
};

function resolveImportance(importance: unknown, priority: unknown): Importance | undefined {
  for (const [field, value, allowed] of [
    ['importance', importance, "'low', 'normal' or 'high'"],
    ['priority', priority, "'high' (1, 2), 'normal' (3) or 'low' (4, 5)"],
  ] as const) {
    if (value === undefined || value === null || value === '') continue;
    const key =
      typeof value === 'string' || typeof value === 'number' ? String(value).trim().toLowerCase() : '';
    const found =
      field === 'importance' ? (['low', 'normal', 'high'] as const).find((i) => i === key) : PRIORITY[key];
    if (!found)
      throw new RangeError(`${field}: ${JSON.stringify(value) ?? typeof value} is not valid; use ${allowed}`);
    return found;
  }
  return undefined;
}

function headerValue(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

function resolveHeaders(headers: unknown, warnings: string[]): { name: string; value: string }[] {
  if (headers === undefined || headers === null) return [];
  if (typeof headers !== 'object' || Array.isArray(headers) || Buffer.isBuffer(headers)) {
    throw new TypeError(
      `headers must be an object such as { "X-Order": "42" }, got ${Array.isArray(headers) ? 'array' : typeof headers}`,
    );
  }
  const kept: { name: string; value: string }[] = [];
  for (const [name, raw] of Object.entries(headers as Record<string, unknown>)) {
    const value = headerValue(raw);
    if (!HEADER_NAME.test(name)) {
      warnings.push(
        `header ${JSON.stringify(name)} dropped: Graph only accepts custom headers whose names start with X-`,
      );
    } else if (value === undefined) {
      warnings.push(
        `header ${JSON.stringify(name)} dropped: its value is empty or cannot be converted to text`,
      );
    } else if (/[\r\n]/.test(value)) {
      warnings.push(`header ${JSON.stringify(name)} dropped: its value contains a line break`);
    } else kept.push({ name, value });
  }
  return kept;
}

function resolveFrom(from: unknown): GraphRecipient | undefined {
  const list = parseRecipients(from, 'from');
  if (list.length > 1) throw new RangeError(`from: only one address may send a mail, got ${list.length}`);
  return list.length ? { emailAddress: list[0] } : undefined;
}

/**
 * Builds and validates the mail to send; throws a clear Error for bad input (no recipient, invalid address, more than
 * 500 recipients, bad importance, bad attachment). Line breaks in the subject become spaces; a non-string subject is
 * converted with String().
 */
export function buildOutgoingMail(input: SendRequestInput): OutgoingMail {
  if (typeof input !== 'object' || input === null) throw new TypeError('send request must be an object');
  const warnings: string[] = [];
  const to = parseRecipients(input.to, 'to');
  const cc = parseRecipients(input.cc, 'cc');
  const bcc = parseRecipients(input.bcc, 'bcc');
  if (input.mode === 'forward' && to.length === 0) {
    throw new RangeError('no recipient to forward to: set To (msg.to is not used when forwarding)');
  }
  // A reply goes to the recipients Graph chooses; those the flow gives are added.
  const added = to.length + cc.length + bcc.length;
  if (!(input.mode === 'reply' || input.mode === 'replyAll') || added > 0) checkRecipientCount(to, cc, bcc);
  const replyTo = parseRecipients(input.replyTo, 'replyTo');
  const from = resolveFrom(input.from);
  const importance = resolveImportance(input.importance, input.priority);
  const headers = resolveHeaders(input.headers, warnings);

  const attachments = normaliseAttachments(input.attachments);
  const hasFilename = typeof input.filename === 'string' && input.filename.trim() !== '';
  let body: GraphOutgoingMessage['body'];
  if (Buffer.isBuffer(input.payload) && hasFilename) {
    const [fromPayload] = normaliseAttachments([{ filename: input.filename, content: input.payload }]);
    attachments.unshift(fromPayload);
    body = { contentType: input.bodyType === 'html' ? 'html' : 'text', content: '' };
  } else body = payloadToBody(input.payload, input.bodyType);

  const message: GraphOutgoingMessage = {
    subject: cleanSubject(input.subject),
    body,
    toRecipients: toGraph(to),
    ccRecipients: toGraph(cc),
    bccRecipients: toGraph(bcc),
  };
  if (replyTo.length) message.replyTo = toGraph(replyTo);
  if (from) message.from = from;
  if (importance) message.importance = importance;
  if (headers.length) message.internetMessageHeaders = headers;
  return { message, attachments, warnings };
}

/** Length of the base64 text for `bytes` bytes (with padding). */
export function base64Length(bytes: number): number {
  return 4 * Math.ceil(bytes / 3);
}

function attachmentJson(a: OutgoingAttachment, contentBytes: string): object {
  const json: Record<string, unknown> = {
    '@odata.type': FILE_ATTACHMENT,
    name: a.name,
    contentType: a.contentType,
    contentBytes,
    isInline: a.isInline,
  };
  if (a.contentId) json.contentId = a.contentId;
  return json;
}

function requestJson(
  mail: OutgoingMail,
  saveToSentItems: boolean,
  contentBytes: (a: OutgoingAttachment) => string,
) {
  const message: Record<string, unknown> = { ...mail.message };
  if (mail.attachments.length)
    message.attachments = mail.attachments.map((a) => attachmentJson(a, contentBytes(a)));
  return { message, saveToSentItems };
}

/** For POST .../messages/{id}/attachments: one file attachment, base64-encoded once. */
export function fileAttachmentBody(a: OutgoingAttachment): object {
  return attachmentJson(a, a.content.toString('base64'));
}

/** For POST .../attachments/createUploadSession: describes a large attachment without its content. */
export function uploadSessionRequestBody(a: OutgoingAttachment): object {
  const item: Record<string, unknown> = {
    attachmentType: 'file',
    name: a.name,
    size: a.content.length,
    contentType: a.contentType,
    isInline: a.isInline,
  };
  if (a.contentId) item.contentId = a.contentId;
  return { AttachmentItem: item };
}

/** Exact JSON size in bytes of the sendMail request (base64 sizes computed arithmetically, not by encoding). */
export function sendMailRequestSize(mail: OutgoingMail, saveToSentItems: boolean): number {
  const skeleton = JSON.stringify(requestJson(mail, saveToSentItems, () => ''));
  // base64 text is plain ASCII and needs no JSON escaping, so each attachment adds exactly its base64 length.
  return (
    Buffer.byteLength(skeleton, 'utf8') +
    mail.attachments.reduce((n, a) => n + base64Length(a.content.length), 0)
  );
}

/** The sendMail JSON body { message: { ..., attachments }, saveToSentItems }, each attachment base64-encoded once. */
export function sendMailRequestBody(mail: OutgoingMail, saveToSentItems: boolean): object {
  return requestJson(mail, saveToSentItems, (a) => a.content.toString('base64'));
}

/** Exact JSON size in bytes of one file attachment as Graph takes it (base64 size computed, not encoded). */
export function fileAttachmentSize(a: OutgoingAttachment): number {
  return Buffer.byteLength(JSON.stringify(attachmentJson(a, '')), 'utf8') + base64Length(a.content.length);
}

/**
 * The size Exchange holds the mail to against the maximum message size (MaxSendSize): its MIME size, in which
 * attachments are base64-encoded ("Base64 encoding increases the size of the message by approximately 33%",
 * Exchange's message-size-limits page), plus about 1 KB of headers. Computed, never encoded.
 */
export function messageSize(mail: OutgoingMail): number {
  const m = mail.message;
  return (
    HEADER_ALLOWANCE_BYTES +
    Buffer.byteLength(m.subject, 'utf8') +
    Buffer.byteLength(m.body.content, 'utf8') +
    mail.attachments.reduce((n, a) => n + base64Length(a.content.length), 0)
  );
}

/**
 * 'sendMail' when the whole request fits SEND_MAIL_LIMIT_BYTES; else 'draft', with attachments split into small
 * (under 3 MB, inside the draft or POSTed) and large (upload session). Throws when the text alone is too large for
 * one request. The maximum message size is the send engine's to check (it knows the tenant's limit).
 */
export function planSend(
  mail: OutgoingMail,
  saveToSentItems: boolean,
): { path: 'sendMail' } | { path: 'draft'; small: OutgoingAttachment[]; large: OutgoingAttachment[] } {
  if (sendMailRequestSize(mail, saveToSentItems) <= SEND_MAIL_LIMIT_BYTES) return { path: 'sendMail' };
  const draftSize = Buffer.byteLength(JSON.stringify(mail.message), 'utf8');
  if (draftSize > SEND_MAIL_LIMIT_BYTES) {
    throw new RangeError(
      `the mail's body and headers are ${draftSize} bytes, more than the ${SEND_MAIL_LIMIT_BYTES} bytes the node ` +
        'sends in one request (Graph takes at most 4 MB); send large content as an attachment',
    );
  }
  return { path: 'draft', ...splitAttachments(mail) };
}

/** The attachments a draft takes by one POST each (small) and by upload session (large). */
export function splitAttachments(mail: OutgoingMail): {
  small: OutgoingAttachment[];
  large: OutgoingAttachment[];
} {
  const small: OutgoingAttachment[] = [];
  const large: OutgoingAttachment[] = [];
  for (const a of mail.attachments) {
    // Just under 3 MB, the base64 JSON of one attachment can pass 4 MB: such an attachment goes by upload session too.
    const fits =
      a.content.length < UPLOAD_SESSION_THRESHOLD && fileAttachmentSize(a) <= SEND_MAIL_LIMIT_BYTES;
    (fits ? small : large).push(a);
  }
  return { small, large };
}
