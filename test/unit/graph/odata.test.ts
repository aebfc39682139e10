import assert from 'node:assert/strict';
import { odataString, pathSegment } from '../../../src/graph/odata';

describe('pathSegment', () => {
  it('leaves plain ids and addresses readable', () => {
    assert.equal(pathSegment('AAMkAGI2TG93AAA='), 'AAMkAGI2TG93AAA%3D');
    assert.equal(pathSegment('jane@example.com'), 'jane%40example.com');
    assert.equal(pathSegment('inbox'), 'inbox');
  });

  it('encodes every character that could change the path or query', () => {
    assert.equal(pathSegment('a/b'), 'a%2Fb');
    assert.equal(pathSegment('a?b#c'), 'a%3Fb%23c');
    assert.equal(pathSegment('100%'), '100%25');
    assert.equal(pathSegment("it's (new)*!"), 'it%27s%20%28new%29%2A%21');
    assert.equal(pathSegment('a\\b'), 'a%5Cb');
  });

  it('refuses "." and ".." alone, since URL parsing resolves even %2E%2E and would climb a level', () => {
    assert.equal(new URL('https://graph.example/v1.0/users/%2E%2E/messages').pathname, '/v1.0/messages');
    assert.throws(() => pathSegment('.'), /^RangeError: path segment "." is not allowed/);
    assert.throws(() => pathSegment('..'), /^RangeError: path segment "\.\." is not allowed/);
  });

  it('keeps a segment containing dots and slashes inside its level', () => {
    const url = new URL(`https://graph.example/v1.0/users/${pathSegment('../x')}/messages`);
    assert.equal(url.pathname, '/v1.0/users/..%2Fx/messages');
    assert.equal(pathSegment('...'), '...');
  });

  it('round-trips through decodeURIComponent', () => {
    for (const value of ['Inbox/Orders', 'Ünïcode ✓', "O'Brien & Co", '...', '%2F']) {
      assert.equal(decodeURIComponent(pathSegment(value)), value);
    }
  });

  it('refuses empty and non-string segments', () => {
    assert.throws(() => pathSegment(''), /must not be empty/);
    assert.throws(() => pathSegment(3 as unknown as string), /must be a string/);
  });
});

describe('odataString', () => {
  it('quotes a value and doubles single quotes', () => {
    assert.equal(odataString("O'Brien"), "'O''Brien'");
    assert.equal(odataString("''"), "''''''");
    assert.equal(odataString('plain'), "'plain'");
    assert.equal(odataString(''), "''");
  });

  it('refuses values that are not strings', () => {
    assert.throws(() => odataString(null as unknown as string), /must be a string/);
  });
});
