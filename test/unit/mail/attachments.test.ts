import assert from 'node:assert/strict';
import { normaliseAttachments, safeFilename } from '../../../src/mail/attachments';

describe('normaliseAttachments', () => {
  it('gives no attachments for undefined, null and an empty list', () => {
    assert.deepEqual(normaliseAttachments(undefined), []);
    assert.deepEqual(normaliseAttachments(null), []);
    assert.deepEqual(normaliseAttachments([]), []);
  });

  it("takes nodemailer's shape with a Buffer and keeps the bytes untouched", () => {
    const bytes = Buffer.from([0, 1, 2, 255]);
    assert.deepEqual(
      normaliseAttachments([{ filename: 'data.bin', content: bytes, contentType: 'application/x-demo' }]),
      [{ name: 'data.bin', contentType: 'application/x-demo', content: bytes, isInline: false }],
    );
  });

  it('accepts a single object as a one-item list', () => {
    const [only] = normaliseAttachments({ filename: 'a.txt', content: 'hello' });
    assert.equal(only.name, 'a.txt');
    assert.equal(only.content.toString('utf8'), 'hello');
  });

  it('decodes string content per encoding, utf8 by default', () => {
    const cases: [string, string | undefined, string][] = [
      ['Grüße', undefined, 'Grüße'],
      ['Grüße', 'utf8', 'Grüße'],
      ['Grüße', 'UTF-8', 'Grüße'],
      [Buffer.from('hi there').toString('base64'), 'base64', 'hi there'],
      [
        Buffer.from('hi there')
          .toString('base64')
          .replace(/(.{4})/g, '$1\n'),
        'base64',
        'hi there',
      ],
      [Buffer.from('hi?>').toString('base64url'), 'base64url', 'hi?>'],
      [Buffer.from('hex!').toString('hex'), 'hex', 'hex!'],
      ['caf\u00e9', 'latin1', 'caf\u00e9'],
      ['caf\u00e9', 'binary', 'caf\u00e9'],
    ];
    for (const [content, encoding, expected] of cases) {
      const [a] = normaliseAttachments([{ filename: 'x.txt', content, encoding }]);
      const asText =
        encoding === 'latin1' || encoding === 'binary' ? a.content.toString('latin1') : a.content.toString();
      assert.equal(asText, expected, `${encoding}: ${content}`);
    }
  });

  it('takes Uint8Array, ArrayBuffer and a Buffer that went through JSON', () => {
    const viaJson = JSON.parse(JSON.stringify({ content: Buffer.from('json') })).content;
    const list = normaliseAttachments([
      { filename: 'u.bin', content: new Uint8Array([104, 105]) },
      { filename: 'ab.bin', content: new Uint8Array([111, 107]).buffer },
      { filename: 'j.bin', content: viaJson },
    ]);
    assert.deepEqual(
      list.map((a) => a.content.toString()),
      ['hi', 'ok', 'json'],
    );
  });

  it('guesses the content type from the filename when none is given', () => {
    const list = normaliseAttachments([
      { filename: 'report.pdf', content: 'x' },
      { filename: 'photo.JPG', content: 'x' },
      { filename: 'noext', content: 'x' },
      { filename: 'given.pdf', content: 'x', contentType: 'text/plain' },
    ]);
    assert.deepEqual(
      list.map((a) => a.contentType),
      ['application/pdf', 'image/jpeg', 'application/octet-stream', 'text/plain'],
    );
  });

  it('makes an attachment with a cid inline, without angle brackets', () => {
    const [logo, plain, disposition] = normaliseAttachments([
      { filename: 'logo.png', content: 'x', cid: '<logo@mail>' },
      { filename: 'plain.png', content: 'x' },
      { filename: 'inline.png', content: 'x', contentDisposition: 'inline' },
    ]);
    assert.equal(logo.isInline, true);
    assert.equal(logo.contentId, 'logo@mail');
    assert.equal(plain.isInline, false);
    assert.equal('contentId' in plain, false);
    assert.equal(disposition.isInline, true);
  });

  it('strips directories and control characters from filenames', () => {
    const names = normaliseAttachments([
      { filename: '../../etc/passwd', content: 'x' },
      { filename: 'C:\\Users\\me\\report.pdf', content: 'x' },
      { filename: 'bad\r\nname\u0000.txt', content: 'x' },
      { filename: 'dir/', content: 'x', contentType: 'application/pdf' },
      { filename: '..', content: 'x' },
    ]).map((a) => a.name);
    assert.deepEqual(names, ['passwd', 'report.pdf', 'badname.txt', 'attachment-4.pdf', 'attachment-5']);
  });

  it('names an attachment without a filename by its position and type', () => {
    const list = normaliseAttachments([
      { content: 'x', contentType: 'application/pdf' },
      { content: 'x' },
      { filename: '', content: 'x', contentType: 'image/png' },
    ]);
    assert.deepEqual(
      list.map((a) => [a.name, a.contentType]),
      [
        ['attachment-1.pdf', 'application/pdf'],
        ['attachment-2', 'application/octet-stream'],
        ['attachment-3.png', 'image/png'],
      ],
    );
  });

  it('refuses path, href and raw: no files are read on behalf of a message', () => {
    for (const key of ['path', 'href', 'raw']) {
      assert.throws(
        () =>
          normaliseAttachments([
            { filename: 'ok.txt', content: 'x' },
            { filename: 'f.txt', [key]: '/etc/passwd' },
          ]),
        (err: Error) => {
          assert.ok(err instanceof TypeError);
          assert.match(
            err.message,
            new RegExp(`^attachments\\[1\\] \\("f.txt"\\): "${key}" is not supported`),
          );
          assert.match(err.message, /file-in node/);
          return true;
        },
      );
    }
  });

  it('refuses missing content, naming the attachment', () => {
    assert.throws(
      () => normaliseAttachments([{ filename: 'empty.txt' }]),
      (err: Error) =>
        err instanceof RangeError && /^attachments\[0\] \("empty.txt"\): missing content$/.test(err.message),
    );
    assert.throws(() => normaliseAttachments([{ filename: 'n.txt', content: null }]), /missing content/);
  });

  it('refuses an unknown encoding', () => {
    assert.throws(
      () => normaliseAttachments([{ filename: 'a.txt', content: 'x', encoding: 'rot13' }]),
      (err: Error) =>
        err instanceof RangeError && /attachments\[0\].*unknown encoding "rot13"/.test(err.message),
    );
  });

  it('refuses content of the wrong type and malformed base64 or hex', () => {
    assert.throws(
      () => normaliseAttachments([{ filename: 'a', content: 12 }]),
      /^TypeError: attachments\[0\].*got number/,
    );
    assert.throws(
      () => normaliseAttachments([{ filename: 'a', content: { a: 1 } }]),
      /content must be a Buffer or a string/,
    );
    assert.throws(
      () => normaliseAttachments([{ filename: 'a', content: 'not base64!', encoding: 'base64' }]),
      /not valid base64/,
    );
    assert.throws(
      () => normaliseAttachments([{ filename: 'a', content: 'abc', encoding: 'hex' }]),
      /not valid hex/,
    );
  });

  it('refuses entries that are not objects, and a list that is not a list', () => {
    assert.throws(
      () => normaliseAttachments(['file.txt']),
      /^TypeError: attachments\[0\]: expected an object/,
    );
    assert.throws(() => normaliseAttachments([[]]), /expected an object.*got array/);
    assert.throws(() => normaliseAttachments('file.txt'), /attachments must be an array/);
  });
});

describe('safeFilename', () => {
  it('keeps a plain name and limits its length', () => {
    assert.equal(safeFilename('ok.txt', 0, 'text/plain'), 'ok.txt');
    assert.equal(safeFilename('a'.repeat(300), 0, 'text/plain').length, 255);
    assert.equal(safeFilename(undefined, 2, 'text/csv'), 'attachment-3.csv');
  });
});
