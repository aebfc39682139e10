import { strict as assert } from 'node:assert';
import { ConfigError } from '../../../src/graph/errors';
import { cursorKey, readReceiveOptions } from '../../../src/receive/options';

describe('receive: options', () => {
  it("fills SPEC's defaults", () => {
    const o = readReceiveOptions({ username: ' user@contoso.example ' });
    assert.deepEqual(o, {
      mailbox: 'user@contoso.example',
      folder: 'inbox',
      filter: 'isRead eq false',
      search: '',
      action: 'read',
      moveTo: '',
      maxMessages: 100,
      bodyFormat: 'text',
      attachments: true,
      output: 'message',
      claim: false,
      claimFolder: '',
      claimTimeoutMs: 600_000,
    });
  });

  it('keeps an explicitly empty filter empty', () => {
    assert.equal(readReceiveOptions({ username: 'a@b.example', filter: '' }).filter, '');
  });

  it('reads the strings and booleans an editor or an old flow may hold', () => {
    const o = readReceiveOptions({
      username: 'a@b.example',
      maxMessages: '0',
      attachments: 'false',
      claim: 'true',
    });
    assert.equal(o.maxMessages, 0);
    assert.equal(o.attachments, false);
    assert.equal(o.claim, true);
  });

  const bad: [Record<string, unknown>, string, RegExp][] = [
    [{}, 'username', /no mailbox/],
    [
      { action: 'archive' },
      'action',
      /action must be one of 'read', 'delete', 'move', 'none', got "archive"/,
    ],
    [{ action: 'move' }, 'moveTo', /destination folder/],
    [{ maxMessages: -1 }, 'maxMessages', /maxMessages must be a whole number >= 0, got -1/],
    [{ maxMessages: 'lots' }, 'maxMessages', /got "lots"/],
    [{ bodyFormat: 'rtf' }, 'bodyFormat', /bodyFormat must be one of 'text', 'html'/],
    [{ output: 'json' }, 'output', /output must be one of/],
    [{ folder: 'Inbox/../Secret' }, 'folder', /'\.' or '\.\.'/],
    [{ attachments: 'yes' }, 'attachments', /attachments must be true or false, got "yes"/],
  ];
  for (const [raw, property, message] of bad) {
    it(`names ${property} when it is wrong (${JSON.stringify(raw)})`, () => {
      const input = 'mailbox' in raw || property === 'username' ? raw : { username: 'a@b.example', ...raw };
      assert.throws(
        () => readReceiveOptions(input),
        (err: unknown) =>
          err instanceof ConfigError && err.property === property && message.test(err.message),
      );
    });
  }

  it('gives the cursor a key that changes with the folder or filter, not with the action', () => {
    const base = readReceiveOptions({ username: 'a@b.example', action: 'none' });
    assert.equal(cursorKey(base), cursorKey({ ...base, maxMessages: 5 }));
    assert.notEqual(cursorKey(base), cursorKey({ ...base, folder: 'archive' }));
    assert.notEqual(cursorKey(base), cursorKey({ ...base, filter: '' }));
    assert.notEqual(cursorKey(base), cursorKey({ ...base, search: 'x' }));
  });
});
