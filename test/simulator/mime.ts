/** RFC 822 / MIME rendering of a stored message, as Graph's `/messages/{id}/$value` returns it. */
import * as crypto from 'node:crypto';
import { htmlToText } from './bodies';
import type { Recipient, SeedContact, SeedEvent, StoredAttachment, StoredMessage } from './types';

const CRLF = '\r\n';

/** RFC 2047 encoded-word when the text is not plain ASCII. */
export function encodeHeaderValue(value: string): string {
  if (/^[\x20-\x7e]*$/.test(value)) return value;
  return `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

function address(r: Recipient): string {
  const { name, address: addr } = r.emailAddress;
  if (!name || name === addr) return addr;
  const display = encodeHeaderValue(name);
  return display === name ? `"${name.replace(/["\\]/g, '')}" <${addr}>` : `${display} <${addr}>`;
}

function base64Lines(data: Buffer): string {
  const text = data.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += 76) lines.push(text.slice(i, i + 76));
  return lines.join(CRLF);
}

/** Quoted-printable encoding (RFC 2045), with CRLF line breaks. */
export function quotedPrintable(text: string): string {
  const out: string[] = [];
  for (const line of text.replace(/\r?\n/g, '\n').split('\n')) {
    let encoded = '';
    for (const byte of Buffer.from(line, 'utf8')) {
      const ch = String.fromCharCode(byte);
      encoded +=
        (byte >= 33 && byte <= 126 && ch !== '=') || byte === 32
          ? ch
          : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
    if (encoded.endsWith(' ')) encoded = `${encoded.slice(0, -1)}=20`;
    // Soft line breaks keep lines within 76 characters, never splitting an =XX escape.
    while (encoded.length > 76) {
      let cut = 75;
      const eq = encoded.lastIndexOf('=', cut - 1);
      if (eq > cut - 3) cut = eq;
      out.push(`${encoded.slice(0, cut)}=`);
      encoded = encoded.slice(cut);
    }
    out.push(encoded);
  }
  return out.join(CRLF);
}

interface Part {
  headers: string[];
  body: string | Buffer;
}

function textPart(subtype: 'plain' | 'html', content: string): Part {
  return {
    headers: [
      `Content-Type: text/${subtype}; charset="utf-8"`,
      'Content-Transfer-Encoding: quoted-printable',
    ],
    body: quotedPrintable(content),
  };
}

function multipart(subtype: string, parts: Part[], extra = ''): Part {
  const boundary = `_sim_${crypto.randomBytes(12).toString('hex')}_`;
  const chunks: (string | Buffer)[] = [];
  for (const part of parts) {
    chunks.push(`--${boundary}${CRLF}${part.headers.join(CRLF)}${CRLF}${CRLF}`, part.body, CRLF);
  }
  chunks.push(`--${boundary}--${CRLF}`);
  return {
    headers: [`Content-Type: multipart/${subtype}; boundary="${boundary}"${extra}`],
    body: Buffer.concat(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c, 'utf8') : c))),
  };
}

function quoteParam(value: string): string {
  const encoded = encodeHeaderValue(value);
  return `"${encoded.replace(/"/g, '')}"`;
}

function attachmentPart(attachment: StoredAttachment): Part | undefined {
  if (attachment['@odata.type'] === '#microsoft.graph.itemAttachment' && attachment.item) {
    return {
      headers: [
        'Content-Type: message/rfc822',
        `Content-Disposition: attachment; filename=${quoteParam(`${attachment.name}.eml`)}`,
      ],
      body: renderMime(attachment.item),
    };
  }
  if (
    attachment['@odata.type'] === '#microsoft.graph.itemAttachment' &&
    (attachment.contact || attachment.event)
  ) {
    const [type, ext, text] = attachment.contact
      ? ['text/x-vcard', 'vcf', renderVCard(attachment.contact)]
      : ['text/calendar', 'ics', renderICalendar(attachment.event as SeedEvent)];
    return {
      headers: [
        `Content-Type: ${type}; charset="utf-8"; name=${quoteParam(`${attachment.name}.${ext}`)}`,
        `Content-Disposition: attachment; filename=${quoteParam(`${attachment.name}.${ext}`)}`,
        'Content-Transfer-Encoding: base64',
      ],
      body: base64Lines(Buffer.from(text, 'utf8')),
    };
  }
  if (attachment['@odata.type'] !== '#microsoft.graph.fileAttachment') return undefined;
  const headers = [
    `Content-Type: ${attachment.contentType ?? 'application/octet-stream'}; name=${quoteParam(attachment.name)}`,
    `Content-Description: ${encodeHeaderValue(attachment.name)}`,
    `Content-Disposition: ${attachment.isInline ? 'inline' : 'attachment'}; filename=${quoteParam(attachment.name)}; size=${attachment.size}`,
  ];
  if (attachment.contentId) headers.push(`Content-ID: <${attachment.contentId.replace(/^<|>$/g, '')}>`);
  headers.push('Content-Transfer-Encoding: base64');
  return { headers, body: base64Lines(attachment.content) };
}

function bodyPart(message: StoredMessage, inline: StoredAttachment[]): Part {
  if (message.body.contentType === 'text') return textPart('plain', message.body.content);
  const alternative = multipart('alternative', [
    textPart('plain', htmlToText(message.body.content)),
    textPart('html', message.body.content),
  ]);
  const inlineParts = inline.map(attachmentPart).filter((p): p is Part => p !== undefined);
  return inlineParts.length
    ? multipart('related', [alternative, ...inlineParts], '; type="multipart/alternative"')
    : alternative;
}

const GENERATED = new Set(['content-type', 'mime-version', 'content-transfer-encoding']);

/** The whole RFC 822 mail of a message as a Buffer. */
export function renderMime(message: StoredMessage): Buffer {
  const headers: string[] = [];
  const seen = new Set<string>();
  const add = (name: string, value: string): void => {
    seen.add(name.toLowerCase());
    headers.push(`${name}: ${value}`);
  };
  for (const h of message.internetMessageHeaders) {
    if (!GENERATED.has(h.name.toLowerCase())) add(h.name, encodeHeaderValue(h.value));
  }
  if (!seen.has('from') && message.from) add('From', address(message.from));
  if (!seen.has('to') && message.toRecipients.length) add('To', message.toRecipients.map(address).join(', '));
  if (!seen.has('cc') && message.ccRecipients.length) add('Cc', message.ccRecipients.map(address).join(', '));
  if (!seen.has('bcc') && message.isDraft && message.bccRecipients.length)
    add('Bcc', message.bccRecipients.map(address).join(', '));
  if (!seen.has('reply-to') && message.replyTo.length)
    add('Reply-To', message.replyTo.map(address).join(', '));
  if (!seen.has('subject')) add('Subject', encodeHeaderValue(message.subject));
  if (!seen.has('date')) add('Date', new Date(message.sentDateTime).toUTCString().replace('GMT', '+0000'));
  if (!seen.has('message-id')) add('Message-ID', message.internetMessageId);
  if (!seen.has('in-reply-to') && message.inReplyTo) add('In-Reply-To', message.inReplyTo);
  if (!seen.has('references') && message.references) add('References', message.references);
  if (message.importance !== 'normal' && !seen.has('importance')) add('Importance', message.importance);
  const inline = message.attachments.filter((a) => a.isInline && message.body.contentType === 'html');
  const attached = message.attachments.filter((a) => !inline.includes(a));
  let root = bodyPart(message, inline);
  const attachedParts = attached.map(attachmentPart).filter((p): p is Part => p !== undefined);
  if (attachedParts.length) root = multipart('mixed', [root, ...attachedParts]);
  const head = [...headers, ...root.headers, 'MIME-Version: 1.0'].join(CRLF);
  return Buffer.concat([
    Buffer.from(`${head}${CRLF}${CRLF}`, 'utf8'),
    Buffer.isBuffer(root.body) ? root.body : Buffer.from(root.body, 'utf8'),
  ]);
}

/** Escapes a vCard / iCalendar text value (RFC 6350 / 5545: backslash, comma, semicolon, newline). */
function icalText(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/([,;])/g, '\\$1')
    .replace(/\r?\n/g, '\\n');
}

/** The raw contents of a contact item attachment, as Exchange gives them: a vCard 3.0 (attachment-get page). */
export function renderVCard(c: SeedContact): string {
  const lines = [
    'BEGIN:VCARD',
    'PROFILE:VCARD',
    'VERSION:3.0',
    'MAILER:Microsoft Exchange',
    'PRODID:Microsoft Exchange',
    `FN:${icalText(c.displayName)}`,
    `N:${icalText(c.surname ?? '')};${icalText(c.givenName ?? '')};;;`,
  ];
  if (c.company) lines.push(`ORG:${icalText(c.company)};`);
  if (c.email) lines.push(`EMAIL;TYPE=INTERNET:${c.email}`);
  if (c.phone) lines.push(`TEL;TYPE=WORK:${c.phone}`);
  lines.push('CLASS:PUBLIC', 'END:VCARD');
  return `${lines.join('\r\n')}\r\n`;
}

function icalTime(iso: string): string {
  return new Date(iso)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

/** The raw contents of an event item attachment: an iCalendar with one VEVENT (attachment-get page). */
export function renderICalendar(e: SeedEvent): string {
  const lines = [
    'BEGIN:VCALENDAR',
    'METHOD:PUBLISH',
    'PRODID:Microsoft Exchange Server 2010',
    'VERSION:2.0',
    'BEGIN:VEVENT',
  ];
  if (e.organizer) lines.push(`ORGANIZER:MAILTO:${e.organizer}`);
  lines.push(
    `UID:${Buffer.from(`${e.subject}|${e.start}`).toString('hex').slice(0, 40)}`,
    `SUMMARY;LANGUAGE=en-US:${icalText(e.subject)}`,
    `DTSTART:${icalTime(e.start)}`,
    `DTEND:${icalTime(e.end)}`,
    'CLASS:PUBLIC',
    `DTSTAMP:${icalTime(new Date().toISOString())}`,
    `LOCATION;LANGUAGE=en-US:${icalText(e.location ?? '')}`,
    'END:VEVENT',
    'END:VCALENDAR',
  );
  return `${lines.join('\r\n')}\r\n`;
}
