import assert from 'node:assert/strict';
import { looksLikeHtml, payloadToBody } from '../../../src/mail/body';

describe('looksLikeHtml', () => {
  it('recognises documents, common tags, links, comments and entities', () => {
    for (const html of [
      '<html><body>Hi</body></html>',
      '<!DOCTYPE html><title>x</title>',
      'Hello<br>World',
      'Hello<br/>World',
      '<p class="x">para</p>',
      '<div>block</div>',
      '<table><tr><td>1</td></tr></table>',
      'see <a href="https://example.com">here</a>',
      'Tom &amp; Jerry',
      'price&nbsp;10',
      '&#8364; 5',
      '<!-- note -->text',
      '<B>bold</B>',
    ]) {
      assert.equal(looksLikeHtml(html), true, html);
    }
  });

  it('does not mistake comparisons, addresses or ampersands for HTML', () => {
    for (const text of [
      'a < b > c',
      'if x<3 and y>2',
      'Jane <jane@example.com>',
      'AT&T and R&D',
      '<unknown-tag> is fine',
      '1 <2 >3',
      '',
    ]) {
      assert.equal(looksLikeHtml(text), false, text);
    }
  });
});

describe('payloadToBody', () => {
  it('keeps strings as they are and picks the type automatically', () => {
    assert.deepEqual(payloadToBody('plain text', 'auto'), { contentType: 'text', content: 'plain text' });
    assert.deepEqual(payloadToBody('<p>Hi</p>', 'auto'), { contentType: 'html', content: '<p>Hi</p>' });
  });

  it('obeys an explicit body type whatever the content looks like', () => {
    assert.deepEqual(payloadToBody('<p>Hi</p>', 'text'), { contentType: 'text', content: '<p>Hi</p>' });
    assert.deepEqual(payloadToBody('just text', 'html'), { contentType: 'html', content: 'just text' });
  });

  it('converts numbers, booleans and bigints with String()', () => {
    assert.equal(payloadToBody(42.5, 'auto').content, '42.5');
    assert.equal(payloadToBody(false, 'auto').content, 'false');
    assert.equal(payloadToBody(10n, 'auto').content, '10');
  });

  it('turns null and undefined into an empty body', () => {
    assert.deepEqual(payloadToBody(null, 'auto'), { contentType: 'text', content: '' });
    assert.deepEqual(payloadToBody(undefined, 'html'), { contentType: 'html', content: '' });
  });

  it('writes dates as ISO 8601 and refuses invalid dates', () => {
    assert.equal(
      payloadToBody(new Date(Date.UTC(2025, 0, 2, 3, 4, 5)), 'auto').content,
      '2025-01-02T03:04:05.000Z',
    );
    assert.throws(() => payloadToBody(new Date('nope'), 'auto'), /payload is an invalid Date/);
  });

  it('pretty-prints objects and arrays as JSON', () => {
    const payload = { order: 42, items: ['a', 'b'] };
    assert.deepEqual(payloadToBody(payload, 'auto'), {
      contentType: 'text',
      content: JSON.stringify(payload, null, 2),
    });
    assert.equal(payloadToBody([1, 2], 'text').content, '[\n  1,\n  2\n]');
  });

  it('names the payload when an object cannot become JSON', () => {
    const circular: Record<string, unknown> = {};
    circular.me = circular;
    assert.throws(
      () => payloadToBody(circular, 'auto'),
      (err: Error) => {
        assert.ok(err instanceof TypeError);
        assert.match(err.message, /^payload cannot be converted to JSON/);
        return true;
      },
    );
    assert.throws(
      () => payloadToBody({ big: 1n }, 'auto'),
      /^TypeError: payload cannot be converted to JSON/,
    );
  });

  it('decodes Buffers and Uint8Arrays as UTF-8 text', () => {
    assert.equal(payloadToBody(Buffer.from('Grüße', 'utf8'), 'auto').content, 'Grüße');
    assert.equal(payloadToBody(new Uint8Array([0x48, 0x69]), 'auto').content, 'Hi');
    assert.equal(payloadToBody(Buffer.from('<b>x</b>'), 'auto').contentType, 'html');
  });

  it('refuses functions, symbols and an unknown body type', () => {
    assert.throws(() => payloadToBody(() => 1, 'auto'), /payload of type function/);
    assert.throws(() => payloadToBody(Symbol('s'), 'auto'), /payload of type symbol/);
    assert.throws(() => payloadToBody('x', 'markdown' as never), /bodyType must be 'auto', 'text' or 'html'/);
  });
});
