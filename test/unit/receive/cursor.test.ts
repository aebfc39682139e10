import { strict as assert } from 'node:assert';
import { advance, isBehind, memoryCursorStore, readCursor } from '../../../src/receive/cursor';

describe('receive: cursor', () => {
  it('a watermark covers earlier mail and the ids seen at its instant', () => {
    const w = { at: '2026-01-01T10:00:00Z', ids: ['a'] };
    assert.equal(isBehind(w, '2026-01-01T09:59:59Z', 'z'), true);
    assert.equal(isBehind(w, '2026-01-01T10:00:00Z', 'a'), true);
    assert.equal(isBehind(w, '2026-01-01T10:00:00Z', 'b'), false, 'same second, not seen yet');
    assert.equal(isBehind(w, '2026-01-01T10:00:01Z', 'a'), false);
    assert.equal(isBehind(undefined, '2026-01-01T10:00:00Z', 'a'), false);
    assert.equal(isBehind(w, 'not a date', 'q'), false, 'a mail without a usable time is never skipped');
  });

  it('advances to the latest instant, collecting ids of ties', () => {
    let w = advance(undefined, '2026-01-01T10:00:00Z', 'a');
    w = advance(w, '2026-01-01T10:00:00Z', 'b');
    assert.deepEqual(w, { at: '2026-01-01T10:00:00Z', ids: ['a', 'b'] });
    w = advance(w, '2026-01-01T09:00:00Z', 'c');
    assert.deepEqual(
      w,
      { at: '2026-01-01T10:00:00Z', ids: ['a', 'b'] },
      'an older mail does not move it back',
    );
    w = advance(w, '2026-01-01T10:00:00.000Z', 'b');
    assert.deepEqual(w?.ids, ['a', 'b'], 'equal instants in another spelling');
    w = advance(w, '2026-01-01T11:00:00Z', 'd');
    assert.deepEqual(w, { at: '2026-01-01T11:00:00Z', ids: ['d'] });
  });

  it('uses a stored cursor only when it is well formed and made for the same settings', () => {
    const good = {
      version: 1,
      key: 'k',
      mode: 'delta',
      link: 'https://x/delta',
      watermark: { at: '2026-01-01T00:00:00Z', ids: [] },
    };
    assert.deepEqual(readCursor(good, 'k'), good);
    assert.equal(readCursor(good, 'other'), undefined);
    assert.equal(readCursor({ ...good, version: 2 }, 'k'), undefined);
    assert.equal(readCursor({ ...good, watermark: { at: 'yesterday-ish', ids: [] } }, 'k'), undefined);
    assert.equal(readCursor({ ...good, done: [1] }, 'k'), undefined);
    assert.equal(readCursor('garbage', 'k'), undefined);
    assert.equal(readCursor(undefined, 'k'), undefined);
  });

  it('a memory store hands out copies', async () => {
    const store = memoryCursorStore();
    const cursor = {
      version: 1 as const,
      key: 'k',
      mode: 'watermark' as const,
      watermark: { at: '2026-01-01T00:00:00Z', ids: ['a'] },
    };
    await store.set(cursor);
    cursor.watermark.ids.push('b');
    assert.deepEqual((await store.get()) as object, {
      ...cursor,
      watermark: { at: '2026-01-01T00:00:00Z', ids: ['a'] },
    });
  });
});
