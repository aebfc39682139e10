import assert from 'node:assert/strict';
import { MIME_SEND_LIMIT_BYTES, MimeProblem, prepareMime } from '../../../src/mail/mime';
import { SEND_MAIL_LIMIT_BYTES } from '../../../src/mail/outbound';

const MAILBOX = 'sender@contoso.example';
const CRLF_MAIL =
  'From: sender@contoso.example\r\nTo: a@fabrikam.example\r\nSubject: Hi\r\nMessage-ID: <m1@contoso.example>\r\n\r\nHello\r\n';

function problem(payload: unknown): MimeProblem {
  try {
    prepareMime(payload, MAILBOX);
  } catch (err) {
    assert.ok(err instanceof MimeProblem, String(err));
    return err;
  }
  throw new Error('expected the MIME mail to be refused');
}

function headerSection(content: Buffer): string {
  const text = content.toString('latin1');
  return text.slice(0, text.indexOf('\r\n\r\n'));
}

describe('outgoing MIME (bodyType mime)', () => {
  it('sends a well-formed mail as it is, from a Buffer or a string', () => {
    const fromString = prepareMime(CRLF_MAIL, MAILBOX);
    assert.equal(fromString.content.toString(), CRLF_MAIL);
    assert.equal(fromString.internetMessageId, '<m1@contoso.example>');
    assert.deepEqual(fromString.recipients, ['a@fabrikam.example']);
    assert.deepEqual(fromString.repairs, []);
    assert.ok(prepareMime(Buffer.from(CRLF_MAIL), MAILBOX).content.equals(Buffer.from(CRLF_MAIL)));
  });

  it('refuses a payload that is not a Buffer or a string, or is empty', () => {
    assert.match(problem({ to: 'x' }).message, /needs msg\.payload as a Buffer or a string/);
    assert.match(problem('').message, /empty/);
  });

  it('refuses text without a header section (no headers), naming how it starts', () => {
    assert.match(
      problem('Hello, this is just text.\r\n').message,
      /does not start with a header section.*"Hello/,
    );
    assert.match(problem('\r\nTo: a@b.example\r\n').message, /does not start with a header section/);
    assert.match(
      problem('From x@y Mon Jan 1 00:00:00 2026\nTo: a@b.example\n\nmbox').message,
      /header section/,
    );
  });

  it('repairs bare LF line ends into CRLF', () => {
    const lf = 'To: a@fabrikam.example\nSubject: LF only\nMessage-ID: <m2@x.example>\n\nline 1\nline 2\n';
    const mime = prepareMime(lf, MAILBOX);
    assert.equal(
      mime.content.toString(),
      'To: a@fabrikam.example\r\nSubject: LF only\r\nMessage-ID: <m2@x.example>\r\n\r\nline 1\r\nline 2\r\n',
    );
    assert.deepEqual(mime.repairs, ['line ends converted from LF to CRLF']);
  });

  it('repairs 8-bit UTF-8 in the subject and in display names as RFC 2047 words', () => {
    const mime = prepareMime(
      'To: Jörg Müller <j@fabrikam.example>, plain@fabrikam.example\r\nSubject: Grüße aus Köln\r\n\r\nx',
      MAILBOX,
    );
    const head = headerSection(mime.content);
    assert.match(
      head,
      /^To: =\?UTF-8\?B\?[A-Za-z0-9+/=]+\?= <j@fabrikam\.example>, plain@fabrikam\.example\r\n/,
    );
    assert.match(head, /\r\nSubject: =\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=\r\n/);
    assert.doesNotMatch(head, /[\u0080-\uffff]/, 'the header section is ASCII');
    const subject = /Subject: =\?UTF-8\?B\?([^?]+)\?=/.exec(head)?.[1] ?? '';
    assert.equal(Buffer.from(subject, 'base64').toString('utf8'), 'Grüße aus Köln');
    assert.equal(mime.repairs.length, 2);
  });

  it('splits a long 8-bit subject into encoded words of at most 75 characters', () => {
    const long = 'Überweisung '.repeat(20).trim();
    const head = headerSection(prepareMime(`To: a@b.example\r\nSubject: ${long}\r\n\r\nx`, MAILBOX).content);
    const words = [...head.matchAll(/=\?UTF-8\?B\?[^?]*\?=/g)].map((m) => m[0]);
    assert.ok(words.length > 1);
    assert.ok(words.every((w) => w.length <= 75));
    const decoded = words.map((w) => Buffer.from(w.slice(10, -2), 'base64').toString('utf8')).join('');
    assert.equal(decoded, long);
  });

  it('refuses 8-bit header bytes that are not UTF-8, and a non-ASCII address', () => {
    const latin1 = Buffer.concat([
      Buffer.from('To: a@b.example\r\nSubject: Gr'),
      Buffer.from([0xfc]),
      Buffer.from('\r\n\r\nx'),
    ]);
    assert.match(problem(latin1).message, /header Subject has 8-bit bytes that are not UTF-8/);
    assert.match(problem('To: jörg@fabrikam.example\r\n\r\nx').message, /not ASCII/);
    assert.match(
      problem('To: a@b.example\r\nContent-Type: text/plain; name="ä.txt"\r\n\r\nx').message,
      /Content-Type has 8-bit text/,
    );
  });

  it('refuses a mail without a recipient, as Graph would', () => {
    assert.match(problem('From: sender@contoso.example\r\nSubject: x\r\n\r\nbody').message, /no recipient/);
  });

  it('adds a Message-ID when the mail has none, so it can be found in Sent Items', () => {
    const mime = prepareMime('To: a@b.example\r\nSubject: x\r\n\r\nbody', MAILBOX);
    assert.match(mime.internetMessageId, /^<[0-9a-f-]{36}@contoso\.example>$/);
    assert.match(headerSection(mime.content), new RegExp(`\\r\\nMessage-ID: ${mime.internetMessageId}$`));
  });

  it('refuses a mail larger than one sendMail request carries once base64-encoded, naming the limit', () => {
    assert.equal(MIME_SEND_LIMIT_BYTES, Math.floor(SEND_MAIL_LIMIT_BYTES / 4) * 3);
    const head = 'To: a@b.example\r\nMessage-ID: <big@x.example>\r\n\r\n';
    const fits = head + 'x'.repeat(MIME_SEND_LIMIT_BYTES - head.length);
    assert.equal(prepareMime(fits, MAILBOX).content.length, MIME_SEND_LIMIT_BYTES);
    const big = problem(fits + 'xxxx');
    assert.equal(big.kind, 'too-large');
    assert.match(big.message, new RegExp(`at most ${MIME_SEND_LIMIT_BYTES} bytes of MIME`));
  });
});
