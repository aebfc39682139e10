import assert from 'node:assert/strict';
import {
  MAX_RECIPIENTS,
  RecipientError,
  checkRecipientCount,
  isEmailAddress,
  parseRecipients,
} from '../../../src/mail/recipients';

function rejects(input: unknown, pattern: RegExp, field = 'to'): RecipientError {
  let caught: unknown;
  try {
    parseRecipients(input, field);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof RecipientError, `expected a RecipientError for ${String(input)}`);
  assert.equal(caught.field, field);
  assert.match(caught.message, pattern);
  return caught;
}

describe('parseRecipients', () => {
  it('gives no recipients for undefined, null, empty and blank input', () => {
    for (const input of [undefined, null, '', '   ', ' , ; ', [], [[]], ['', ' ']]) {
      assert.deepEqual(parseRecipients(input, 'cc'), []);
    }
  });

  it('reads a single plain address', () => {
    assert.deepEqual(parseRecipients('jane@example.com', 'to'), [{ address: 'jane@example.com' }]);
  });

  it('splits on commas and semicolons and trims each entry (unlike Interlok)', () => {
    assert.deepEqual(parseRecipients(' a@example.com ,b@example.com;  c@example.org ;', 'to'), [
      { address: 'a@example.com' },
      { address: 'b@example.com' },
      { address: 'c@example.org' },
    ]);
  });

  it('reads "Name <addr>" and "<addr>"', () => {
    assert.deepEqual(parseRecipients('Jane Doe <jane@example.com>, <bob@example.com>', 'to'), [
      { name: 'Jane Doe', address: 'jane@example.com' },
      { address: 'bob@example.com' },
    ]);
  });

  it('keeps commas and semicolons inside a quoted name', () => {
    assert.deepEqual(
      parseRecipients('"Doe, Jane" <jane@example.com>; "Smith; Bob" <bob@example.com>', 'to'),
      [
        { name: 'Doe, Jane', address: 'jane@example.com' },
        { name: 'Smith; Bob', address: 'bob@example.com' },
      ],
    );
  });

  it('unescapes quotes inside a quoted name', () => {
    assert.deepEqual(parseRecipients('"Jane \\"JD\\" Doe" <jane@example.com>', 'to'), [
      { name: 'Jane "JD" Doe', address: 'jane@example.com' },
    ]);
  });

  it('flattens arrays, nested arrays and list strings inside arrays', () => {
    assert.deepEqual(
      parseRecipients(['a@example.com', ['b@example.com', ['c@example.com, d@example.com']]], 'bcc'),
      [
        { address: 'a@example.com' },
        { address: 'b@example.com' },
        { address: 'c@example.com' },
        { address: 'd@example.com' },
      ],
    );
  });

  it('reads { name, address }, { address } and Graph { emailAddress } objects', () => {
    assert.deepEqual(
      parseRecipients(
        [
          { name: 'Jane', address: 'jane@example.com' },
          { address: ' bob@example.com ' },
          { emailAddress: { name: 'Eve', address: 'eve@example.com' } },
          { name: '  ', address: 'amy@example.com' },
        ],
        'to',
      ),
      [
        { name: 'Jane', address: 'jane@example.com' },
        { address: 'bob@example.com' },
        { name: 'Eve', address: 'eve@example.com' },
        { address: 'amy@example.com' },
      ],
    );
  });

  it('de-duplicates addresses case-insensitively, the first one winning', () => {
    assert.deepEqual(parseRecipients('Jane <Jane@Example.com>, jane@example.com, JANE@EXAMPLE.COM', 'to'), [
      { name: 'Jane', address: 'Jane@Example.com' },
    ]);
  });

  it('names the field and the bad entry', () => {
    const err = rejects('ok@example.com, bob@', /^to: "bob@" is not an e-mail address$/);
    assert.equal(err.name, 'RecipientError');
    rejects('Jane <not-an-address>', /^cc: "Jane <not-an-address>" is not an e-mail address$/, 'cc');
  });

  it('rejects addresses with spaces, two @, missing parts or no domain dot', () => {
    for (const bad of [
      'jane doe@example.com',
      'a@@example.com',
      '@example.com',
      'jane@',
      'jane@localhost',
      'jane',
    ]) {
      rejects(bad, /is not an e-mail address/);
    }
  });

  it('rejects line breaks in names and addresses (header injection)', () => {
    rejects('"Jane\r\nBcc: x@evil.com" <jane@example.com>', /line break/);
    rejects({ name: 'Jane\nX', address: 'jane@example.com' }, /line break/);
    rejects(['jane@exa\r\nmple.com'], /line break/);
  });

  it('trims a trailing line break, as left by a file-in node', () => {
    assert.deepEqual(parseRecipients('jane@example.com\n', 'to'), [{ address: 'jane@example.com' }]);
  });

  it('rejects objects without an address string and names that are not strings', () => {
    rejects({ name: 'Jane' }, /has no "address" string/);
    rejects({ address: 42 }, /has no "address" string/);
    rejects({ address: 'jane@example.com', name: 7 }, /"name" that is not a string/);
  });

  it('rejects numbers, booleans and functions with the type in the message', () => {
    rejects(42, /got number/);
    rejects(true, /got boolean/);
    rejects([() => 1], /got function/);
  });

  it('does not crash on circular objects', () => {
    const circular: Record<string, unknown> = { name: 'x' };
    circular.self = circular;
    rejects(circular, /has no "address" string/);
  });
});

describe('isEmailAddress', () => {
  it('accepts common and international addresses', () => {
    for (const ok of [
      'a@b.co',
      'first.last+tag@sub.example.com',
      "o'brien@example.ie",
      'jürgen@exämple.de',
      'x_y@a-b.io',
    ]) {
      assert.equal(isEmailAddress(ok), true, ok);
    }
  });

  it('refuses display names, dots in the wrong place and over-long parts', () => {
    for (const bad of [
      'Jane <a@b.co>',
      '.a@b.co',
      'a.@b.co',
      'a..b@b.co',
      'a@-b.co',
      'a@b..co',
      'x'.repeat(65) + '@b.co',
      '',
    ]) {
      assert.equal(isEmailAddress(bad), false, bad);
    }
  });
});

describe('checkRecipientCount', () => {
  const one = [{ address: 'a@example.com' }];
  const many = (n: number) => Array.from({ length: n }, (_, i) => ({ address: `u${i}@example.com` }));

  it('accepts a mail with only Cc or only Bcc recipients', () => {
    assert.doesNotThrow(() => checkRecipientCount([], one, []));
    assert.doesNotThrow(() => checkRecipientCount([], [], one));
  });

  it('refuses a mail without any recipient, saying where to set one', () => {
    assert.throws(() => checkRecipientCount([], [], []), /^RecipientError: no recipient: set To, Cc or Bcc/);
  });

  it('allows exactly 500 recipients across To, Cc and Bcc and refuses 501', () => {
    assert.equal(MAX_RECIPIENTS, 500);
    assert.doesNotThrow(() => checkRecipientCount(many(200), many(200), many(100)));
    assert.throws(() => checkRecipientCount(many(200), many(200), many(101)), /too many recipients: 501/);
  });
});
