/**
 * Reads an RFC 5322 / MIME mail as Exchange takes one from `sendMail` with a MIME body: the header section (folded
 * lines unfolded, RFC 2047 encoded words decoded, 8-bit text read as UTF-8), the text or HTML body, and the parts
 * that are attachments. CRLF and bare LF line ends are both read (Graph's own example uses LF).
 */
import { badRequest, GraphFailure } from './errors';
import { fileAttachment, toRecipient } from './store';
import type { Recipient, StoredAttachment } from './types';

export interface ParsedMime {
  headers: { name: string; value: string }[];
  from: Recipient | null;
  to: Recipient[];
  cc: Recipient[];
  bcc: Recipient[];
  replyTo: Recipient[];
  subject: string;
  messageId?: string;
  inReplyTo?: string;
  references?: string;
  importance: 'low' | 'normal' | 'high';
  body: { contentType: 'text' | 'html'; content: string };
  attachments: StoredAttachment[];
}

interface Entity {
  headers: { name: string; value: string }[];
  body: Buffer;
}

/** 400 for MIME that cannot be read as a mail (outlook-send-mime-message, "Error conditions and messages"). */
function malformed(): GraphFailure {
  return badRequest(
    'MIME content does not contain all required information, malformed formatting, or empty.',
    'ErrorMimeContentInvalid',
  );
}

/** Splits header section and body at the first empty line; unfolds the header lines. */
function readEntity(raw: Buffer): Entity {
  const text = raw.toString('latin1');
  const match = /\r?\n\r?\n/.exec(text);
  const headEnd = match ? match.index : text.length;
  const bodyStart = match ? match.index + match[0].length : text.length;
  const head = text.slice(0, headEnd);
  const headers: { name: string; value: string }[] = [];
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && headers.length) headers[headers.length - 1].value += ` ${line.trim()}`;
    else {
      const colon = line.indexOf(':');
      if (colon <= 0 || !/^[\x21-\x39\x3b-\x7e]+$/.test(line.slice(0, colon))) throw malformed();
      headers.push({ name: line.slice(0, colon), value: line.slice(colon + 1).trim() });
    }
  }
  return {
    headers: headers.map((h) => ({ name: h.name, value: Buffer.from(h.value, 'latin1').toString('utf8') })),
    body: raw.subarray(Buffer.byteLength(text.slice(0, bodyStart), 'latin1')),
  };
}

function header(entity: Entity, name: string): string | undefined {
  return entity.headers.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value;
}

/** RFC 2047 encoded words (B and Q) in a header value. */
export function decodeWords(value: string): string {
  return value
    .replace(/(=\?[^?]+\?[bq]\?[^?]*\?=)\s+(?==\?)/gi, '$1')
    .replace(/=\?([^?]+)\?([bq])\?([^?]*)\?=/gi, (_, charset: string, kind: string, data: string) => {
      const bytes =
        kind.toLowerCase() === 'b'
          ? Buffer.from(data, 'base64')
          : Buffer.from(
              data
                .replace(/_/g, ' ')
                .replace(/=([0-9a-f]{2})/gi, (__, hex: string) => String.fromCharCode(parseInt(hex, 16))),
              'latin1',
            );
      return /^utf-?8$/i.test(charset) ? bytes.toString('utf8') : bytes.toString('latin1');
    });
}

function addresses(value: string | undefined): Recipient[] {
  if (!value) return [];
  return decodeWords(value)
    .split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/)
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => toRecipient(part));
}

function parameter(value: string | undefined, name: string): string | undefined {
  const match = new RegExp(`;\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, 'i').exec(value ?? '');
  return match ? (match[1] ?? match[2]) : undefined;
}

function decodeBody(entity: Entity): Buffer {
  const encoding = (header(entity, 'Content-Transfer-Encoding') ?? '').toLowerCase();
  if (encoding === 'base64') return Buffer.from(entity.body.toString('latin1').replace(/\s+/g, ''), 'base64');
  if (encoding === 'quoted-printable') {
    const text = entity.body
      .toString('latin1')
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    return Buffer.from(text, 'latin1');
  }
  return entity.body;
}

/** The entities of a multipart body (the preamble and epilogue dropped). */
function parts(entity: Entity, boundary: string): Entity[] {
  const text = entity.body.toString('latin1');
  const delimiter = `--${boundary}`;
  const chunks = text.split(new RegExp(`\\r?\\n?${delimiter.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  return chunks
    .slice(1)
    .filter((chunk) => !chunk.startsWith('--'))
    .map((chunk) => readEntity(Buffer.from(chunk.replace(/^[ \t]*\r?\n/, ''), 'latin1')));
}

/** Walks the entity tree: the first text/html or text/plain body, and every part that is an attachment. */
function walk(entity: Entity, found: Pick<ParsedMime, 'body' | 'attachments'> & { bodySet: boolean }): void {
  const type = (header(entity, 'Content-Type') ?? 'text/plain').toLowerCase();
  const disposition = header(entity, 'Content-Disposition');
  if (type.startsWith('multipart/')) {
    const boundary = parameter(header(entity, 'Content-Type'), 'boundary');
    if (!boundary) throw malformed();
    for (const part of parts(entity, boundary)) walk(part, found);
    return;
  }
  const filename = parameter(disposition, 'filename') ?? parameter(header(entity, 'Content-Type'), 'name');
  const isText = type.startsWith('text/plain') || type.startsWith('text/html');
  if (isText && !filename && !/^attachment/i.test(disposition ?? '')) {
    const html = type.startsWith('text/html');
    // An HTML alternative wins over the plain one, as Exchange keeps the richer body.
    if (!found.bodySet || (html && found.body.contentType === 'text')) {
      found.body = { contentType: html ? 'html' : 'text', content: decodeBody(entity).toString('utf8') };
      found.bodySet = true;
    }
    return;
  }
  const contentId = header(entity, 'Content-ID')?.replace(/^<|>$/g, '') ?? null;
  found.attachments.push(
    fileAttachment(decodeWords(filename ?? 'attachment'), type.split(';')[0].trim(), decodeBody(entity), {
      isInline: /^inline/i.test(disposition ?? '') && contentId !== null,
      contentId,
    }),
  );
}

function importanceOf(entity: Entity): ParsedMime['importance'] {
  const importance = header(entity, 'Importance')?.toLowerCase();
  if (importance === 'high' || importance === 'low') return importance;
  const priority = Number.parseInt(header(entity, 'X-Priority') ?? '', 10);
  if (priority === 1 || priority === 2) return 'high';
  if (priority === 4 || priority === 5) return 'low';
  return 'normal';
}

/** Reads a whole MIME mail; throws Graph's 400 when it has no header section or a multipart without boundary. */
export function parseMime(raw: Buffer): ParsedMime {
  if (raw.length === 0) throw malformed();
  const entity = readEntity(raw);
  if (entity.headers.length === 0) throw malformed();
  const found = {
    body: { contentType: 'text' as const, content: '' },
    attachments: [],
    bodySet: false,
  } as Pick<ParsedMime, 'body' | 'attachments'> & { bodySet: boolean };
  walk(entity, found);
  const from = addresses(header(entity, 'From'))[0] ?? null;
  return {
    headers: entity.headers,
    from,
    to: addresses(header(entity, 'To')),
    cc: addresses(header(entity, 'Cc')),
    bcc: addresses(header(entity, 'Bcc')),
    replyTo: addresses(header(entity, 'Reply-To')),
    subject: decodeWords(header(entity, 'Subject') ?? ''),
    messageId: header(entity, 'Message-ID'),
    inReplyTo: header(entity, 'In-Reply-To'),
    references: header(entity, 'References'),
    importance: importanceOf(entity),
    body: found.body,
    attachments: found.attachments,
  };
}
