/**
 * A whole RFC 5322 mail given by a flow (`bodyType: mime`), checked and made ready for Graph's sendMail with a MIME
 * body (base64 text, `Content-Type: text/plain`). What Graph would refuse is refused here, naming the problem;
 * what can be repaired without changing the mail's meaning is repaired:
 * - no header section (the text does not start with `Name: value` lines): refused;
 * - bare LF line ends only: turned into CRLF, RFC 5322's line end (Graph reads both; CRLF is what it stores);
 * - 8-bit text in the header section: UTF-8 becomes RFC 2047 encoded words (in address headers only the display
 *   names); bytes that are not UTF-8, and non-ASCII in an address itself, are refused;
 * - no recipient (To, Cc, Bcc): refused, as Graph would;
 * - no Message-ID: one is added, so the mail can be found in Sent Items (never sent twice);
 * - larger than a sendMail request can carry once base64-encoded: refused, naming the limit.
 * Pure: no Graph access.
 */
import { randomUUID } from 'node:crypto';
import { base64Length, SEND_MAIL_LIMIT_BYTES } from './outbound';

/**
 * The largest MIME mail one sendMail request carries: its base64 text must fit the request size the node plans
 * with (src/mail/outbound.ts), and base64 makes 3 bytes into 4 characters.
 */
export const MIME_SEND_LIMIT_BYTES = Math.floor(SEND_MAIL_LIMIT_BYTES / 4) * 3;

/** Why a MIME mail cannot be sent; `problem` names it (the node adds that nothing was sent). */
export class MimeProblem extends Error {
  constructor(
    readonly problem: string,
    /** `too-large` for the size limit, `malformed` for everything else. */
    readonly kind: 'malformed' | 'too-large' = 'malformed',
  ) {
    super(problem);
    this.name = 'MimeProblem';
  }
}

export interface OutgoingMime {
  /** The mail, repaired where needed; CRLF line ends. */
  content: Buffer;
  /** Its Message-ID, as given or as added. */
  internetMessageId: string;
  /** The addresses of To, Cc and Bcc (for error messages). */
  recipients: string[];
  /** What was repaired ("line ends converted to CRLF", ...). */
  repairs: string[];
}

const ADDRESS_HEADERS = new Set(['from', 'to', 'cc', 'bcc', 'reply-to', 'sender']);
const RECIPIENT_HEADERS = ['to', 'cc', 'bcc'];
const HEADER_LINE = /^[\x21-\x39\x3b-\x7e]+:/;

interface HeaderField {
  name: string;
  /** The value, unfolded, as bytes read 1:1 (latin1), so 8-bit bytes are seen as they are. */
  value: string;
}

/** msg.payload as the bytes of a MIME mail: a Buffer as is, a string as UTF-8. */
function bytesOf(payload: unknown): Buffer {
  if (Buffer.isBuffer(payload)) return payload;
  if (payload instanceof Uint8Array)
    return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  if (typeof payload === 'string') return Buffer.from(payload, 'utf8');
  const kind = payload === null ? 'null' : typeof payload;
  throw new MimeProblem(
    `bodyType mime needs msg.payload as a Buffer or a string holding the whole mail, got ${kind}`,
  );
}

/** The header section and the rest; `crlf` tells which line end the mail uses. */
function split(text: string): { head: string; rest: string; crlf: boolean } {
  const crlf = text.includes('\r\n');
  const end = crlf ? text.indexOf('\r\n\r\n') : text.indexOf('\n\n');
  if (end < 0) return { head: text.replace(/\r?\n$/, ''), rest: '', crlf };
  return { head: text.slice(0, end), rest: text.slice(end + (crlf ? 4 : 2)), crlf };
}

function readFields(head: string): HeaderField[] {
  const fields: HeaderField[] = [];
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && fields.length) fields[fields.length - 1].value += line;
    else if (HEADER_LINE.test(line)) {
      const colon = line.indexOf(':');
      fields.push({ name: line.slice(0, colon), value: line.slice(colon + 1) });
    } else {
      const shown = JSON.stringify(Buffer.from(line, 'latin1').toString('utf8').slice(0, 40));
      throw new MimeProblem(
        fields.length === 0
          ? `msg.payload is not a MIME mail: it does not start with a header section (From:, To:, Subject: ...) but with ${shown}`
          : `the header section has a line that is no header field: ${shown}`,
      );
    }
  }
  return fields;
}

/** Text of 8-bit header bytes as UTF-8; refused when they are not UTF-8 (the charset is unknown). */
function utf8Of(name: string, latin1: string): string {
  const bytes = Buffer.from(latin1, 'latin1');
  const text = bytes.toString('utf8');
  if (text.includes('\uFFFD') || !Buffer.from(text, 'utf8').equals(bytes)) {
    throw new MimeProblem(
      `header ${name} has 8-bit bytes that are not UTF-8; encode it as RFC 2047 words (=?charset?B?...?=) or give it as UTF-8`,
    );
  }
  return text;
}

/** RFC 2047 B words of at most 75 characters, never splitting a character. */
function encodedWords(text: string): string {
  const words: string[] = [];
  let chunk = '';
  for (const char of text) {
    // 12 characters of =?UTF-8?B??=, and base64 grows by 4/3: 45 bytes keep a word at 72.
    if (Buffer.byteLength(chunk + char, 'utf8') > 45) {
      words.push(chunk);
      chunk = '';
    }
    chunk += char;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`).join('\r\n ');
}

/** `Name <addr>, ...` with non-ASCII display names encoded; a non-ASCII address is refused. */
function encodeAddressList(name: string, value: string): string {
  const items = value.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/);
  return items
    .map((item) => {
      const match = /^(\s*)(.*?)\s*<([^<>]*)>\s*$/.exec(item);
      const address = match ? match[3] : item.trim();
      if (/[\u0080-\uffff]/.test(address)) {
        throw new MimeProblem(
          `header ${name}: the address ${JSON.stringify(address)} is not ASCII; Graph sends to ASCII addresses only`,
        );
      }
      if (!match || !/[\u0080-\uffff]/.test(match[2])) return item;
      const display = match[2].replace(/^"(.*)"$/, '$1');
      return `${match[1]}${encodedWords(display)} <${address}>`;
    })
    .join(',');
}

/** A header field as it goes out: 8-bit text encoded, the rest as given (folding kept for plain ASCII). */
function headerLine(field: HeaderField, original: string, repairs: string[]): string {
  if (!/[\u0080-\uffff]/.test(field.value)) return original;
  const value = utf8Of(field.name, field.value).trim();
  const lower = field.name.toLowerCase();
  repairs.push(`header ${field.name} encoded as RFC 2047 words (it had 8-bit text)`);
  if (ADDRESS_HEADERS.has(lower)) return `${field.name}: ${encodeAddressList(field.name, value)}`;
  if (lower === 'subject' || lower === 'comments' || lower.startsWith('x-') || lower === 'thread-topic') {
    return `${field.name}: ${encodedWords(value)}`;
  }
  throw new MimeProblem(
    `header ${field.name} has 8-bit text, which only Subject, Comments, X- headers and display names may carry once encoded`,
  );
}

/** The raw lines of each header field (a field and its folded continuation lines). */
function rawFields(head: string): string[] {
  const out: string[] = [];
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && out.length) out[out.length - 1] += `\r\n${line}`;
    else out.push(line);
  }
  return out;
}

function addressesIn(value: string): string[] {
  return [...value.matchAll(/<([^<>@\s]+@[^<>\s]+)>|([^\s<>",;:]+@[^\s<>",;:]+)/g)].map((m) => m[1] ?? m[2]);
}

/**
 * Checks and repairs a flow's MIME mail for sendMail; throws MimeProblem naming what is wrong (nothing sent).
 * `mailbox` gives the domain of an added Message-ID.
 */
export function prepareMime(payload: unknown, mailbox: string): OutgoingMime {
  const given = bytesOf(payload);
  if (given.length === 0) throw new MimeProblem('msg.payload is empty: bodyType mime needs a whole mail');
  const repairs: string[] = [];
  const text = given.toString('latin1');
  const { head, rest, crlf } = split(text);
  const fields = readFields(head);
  const lines = rawFields(head).map((line, i) => headerLine(fields[i], line, repairs));
  const recipients = fields
    .filter((f) => RECIPIENT_HEADERS.includes(f.name.toLowerCase()))
    .flatMap((f) => addressesIn(Buffer.from(f.value, 'latin1').toString('utf8')));
  if (recipients.length === 0) {
    throw new MimeProblem('the MIME mail has no recipient: it needs a To, Cc or Bcc header with an address');
  }
  let internetMessageId = fields.find((f) => f.name.toLowerCase() === 'message-id')?.value.trim();
  if (!internetMessageId) {
    const at = mailbox.lastIndexOf('@');
    const domain = at > 0 ? mailbox.slice(at + 1).toLowerCase() : 'node-red-o365.invalid';
    internetMessageId = `<${randomUUID()}@${domain}>`;
    lines.push(`Message-ID: ${internetMessageId}`);
  }
  let body = rest;
  if (!crlf && /\n/.test(rest + head)) {
    body = rest.replace(/\n/g, '\r\n');
    repairs.push('line ends converted from LF to CRLF');
  }
  const content = Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`, 'latin1');
  if (base64Length(content.length) > SEND_MAIL_LIMIT_BYTES) {
    throw new MimeProblem(
      `the MIME mail is ${content.length} bytes; Graph's sendMail takes at most ${MIME_SEND_LIMIT_BYTES} bytes of ` +
        `MIME (${SEND_MAIL_LIMIT_BYTES} bytes once base64-encoded). Send it with bodyType text or html and ` +
        'msg.attachments instead: that way has no such limit',
      'too-large',
    );
  }
  return { content, internetMessageId, recipients, repairs };
}
