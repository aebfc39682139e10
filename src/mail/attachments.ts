/** Outgoing attachments: nodemailer's msg.attachments shape -> validated, named, decoded Buffers. */
import { extensionFor, guessContentType } from './content-type';

export interface OutgoingAttachment {
  name: string;
  contentType: string;
  content: Buffer;
  isInline: boolean;
  contentId?: string;
}

const ENCODINGS = new Set<BufferEncoding>([
  'base64',
  'base64url',
  'hex',
  'utf8',
  'utf-8',
  'binary',
  'latin1',
  'ascii',
  'ucs2',
  'ucs-2',
  'utf16le',
  'utf-16le',
]);
const CONTROL = /[\u0000-\u001f\u007f]/g; // eslint-disable-line no-control-regex

/** Strips directories and control characters so a name can never address a path or break a header. */
export function safeFilename(raw: unknown, index: number, contentType: string): string {
  const text = typeof raw === 'string' ? raw.replace(CONTROL, '') : '';
  const last = text.split(/[\\/]/).pop()?.trim() ?? '';
  if (last !== '' && last !== '.' && last !== '..') return last.slice(0, 255);
  const extension = extensionFor(contentType);
  return `attachment-${index + 1}${extension ? '.' + extension : ''}`;
}

function decodeString(content: string, encoding: BufferEncoding, where: string): Buffer {
  if (encoding === 'base64' || encoding === 'base64url') {
    // Buffer.from silently drops characters that are not base64; a typo would send a corrupt file.
    const compact = content.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(compact) || compact.replace(/=+$/, '').length % 4 === 1) {
      throw new TypeError(`${where}: content is not valid ${encoding}`);
    }
    return Buffer.from(compact, encoding);
  }
  if (encoding === 'hex' && (content.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(content))) {
    throw new TypeError(`${where}: content is not valid hex`);
  }
  return Buffer.from(content, encoding);
}

function isSerialisedBuffer(value: object): value is { type: 'Buffer'; data: number[] } {
  const v = value as { type?: unknown; data?: unknown };
  return (
    v.type === 'Buffer' &&
    Array.isArray(v.data) &&
    v.data.every((b) => Number.isInteger(b) && b >= 0 && b < 256)
  );
}

function contentOf(item: Record<string, unknown>, where: string): Buffer {
  const { content, encoding } = item;
  if (content === undefined || content === null) throw new RangeError(`${where}: missing content`);
  if (
    encoding !== undefined &&
    encoding !== null &&
    !ENCODINGS.has(String(encoding).toLowerCase() as BufferEncoding)
  ) {
    throw new RangeError(
      `${where}: unknown encoding ${JSON.stringify(encoding)} (use base64, hex, utf8, binary or latin1)`,
    );
  }
  if (typeof content === 'string') {
    const chosen = (encoding ? String(encoding).toLowerCase() : 'utf8') as BufferEncoding;
    return decodeString(content, chosen, where);
  }
  if (Buffer.isBuffer(content)) return content;
  if (content instanceof Uint8Array)
    return Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  if (content instanceof ArrayBuffer) return Buffer.from(content);
  // A Buffer that went through JSON (link nodes, context storage) arrives as { type: 'Buffer', data: [...] }.
  if (typeof content === 'object' && isSerialisedBuffer(content)) return Buffer.from(content.data);
  throw new TypeError(`${where}: content must be a Buffer or a string, got ${typeof content}`);
}

function normaliseOne(raw: unknown, index: number): OutgoingAttachment {
  let where = `attachments[${index}]`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new TypeError(
      `${where}: expected an object { filename, content }, got ${Array.isArray(raw) ? 'array' : typeof raw}`,
    );
  }
  const item = raw as Record<string, unknown>;
  const rawName = item.filename ?? item.name;
  if (typeof rawName === 'string' && rawName !== '')
    where += ` (${JSON.stringify(rawName.replace(CONTROL, ''))})`;
  for (const key of ['path', 'href', 'raw'] as const) {
    if (item[key] !== undefined && item[key] !== null) {
      throw new TypeError(
        `${where}: "${key}" is not supported: reading files or URLs named in messages is not allowed; ` +
          'read the file with a file-in node and pass it as "content"',
      );
    }
  }
  const content = contentOf(item, where);
  const given = typeof item.contentType === 'string' ? item.contentType.replace(CONTROL, '').trim() : '';
  const contentType =
    given || guessContentType(typeof rawName === 'string' ? rawName.replace(CONTROL, '') : '');
  const name = safeFilename(rawName, index, contentType);
  const cid =
    typeof item.cid === 'string'
      ? item.cid
          .replace(CONTROL, '')
          .trim()
          .replace(/^<(.*)>$/, '$1')
      : '';
  const attachment: OutgoingAttachment = {
    name,
    contentType,
    content,
    isInline: cid !== '' || item.contentDisposition === 'inline',
  };
  if (cid) attachment.contentId = cid;
  return attachment;
}

/**
 * nodemailer's shape: [{ filename, content: Buffer|string|Uint8Array, encoding?, contentType?, cid? }] -> attachments
 * ready for Graph. A single object is a one-item list; `path`/`href` are rejected (no file reads from messages);
 * names lose directories and control characters; cid makes an inline attachment. Throws TypeError/RangeError naming
 * the attachment index and the problem.
 */
export function normaliseAttachments(raw: unknown): OutgoingAttachment[] {
  if (raw === undefined || raw === null) return [];
  const list = Array.isArray(raw) ? raw : typeof raw === 'object' ? [raw] : undefined;
  if (!list) throw new TypeError(`attachments must be an array of { filename, content }, got ${typeof raw}`);
  return list.map(normaliseOne);
}
