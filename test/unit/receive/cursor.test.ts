import { strict as assert } from 'node:assert';
import { Cursor, memoryCursorStore, readCursorV1 } from '../../../src/receive/cursor';
import { SeenMails } from '../../../src/receive/seen';

const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 10, minute)).toISOString().replace('.000Z', 'Z');

describe('receive: the set of delivered mails', () => {
  it('tells a delivered mail by its id, whatever its receivedDateTime', () => {
    const seen = new SeenMails();
    seen.add('a', at(5));
    assert.equal(seen.has('a'), true);
    assert.equal(seen.covers('a', at(0)), true);
    assert.equal(seen.covers('b', at(1)), false, 'an older mail not seen before is new');
    assert.equal(seen.covers('b', undefined), false, 'so is one without a time');
  });

  it('keeps the newest mails at rest and counts what lies at or before the floor as delivered', () => {
    const seen = new SeenMails(3);
    for (let i = 0; i < 5; i++) seen.add(`m${i}`, at(i));
    assert.equal(seen.size, 5, 'nothing is forgotten in the middle of a round');
    assert.equal(seen.floor, undefined);
    seen.settle();
    assert.equal(seen.size, 3);
    assert.equal(seen.floor, at(1), 'the newest mail forgotten');
    assert.equal(seen.covers('m0', at(0)), true, 'forgotten, but at or before the floor');
    assert.equal(seen.covers('new', at(1)), true, 'beyond the bound: counted as delivered');
    assert.equal(seen.covers('new', at(2)), false);
    assert.equal(seen.has('m4'), true);
  });

  it('never lowers the floor, and a mail evicted in a tie leaves its partners remembered', () => {
    const seen = new SeenMails(2);
    seen.add('a', at(1));
    seen.add('b', at(1));
    seen.add('c', at(1));
    seen.settle();
    assert.equal(seen.size, 2);
    assert.equal(seen.floor, at(1));
    seen.raiseFloor(at(0));
    assert.equal(seen.floor, at(1));
  });

  it('packs 12 bytes a mail and reads back what it packed', () => {
    const seen = new SeenMails(100);
    for (let i = 0; i < 50; i++) seen.add(`id-${i}`, at(i % 60));
    seen.settle();
    seen.add('recent', at(30));
    seen.raiseFloor(at(0));
    const packed = seen.pack();
    assert.equal(Buffer.from(packed.seen, 'base64').length, 50 * 12);
    assert.equal(Buffer.from(packed.recent ?? '', 'base64').length, 12);
    const back = SeenMails.unpack(JSON.parse(JSON.stringify(packed)), 100) as SeenMails;
    assert.equal(back.size, 51);
    assert.equal(back.floor, at(0));
    assert.equal(back.has('id-7') && back.has('recent') && !back.has('id-50'), true);
    assert.equal(SeenMails.unpack({ seen: 'AAAA' }), undefined, 'not whole entries');
    assert.equal(SeenMails.unpack({ seen: '', floor: 'yesterday' }), undefined);
  });
});

describe('receive: the stored cursor', () => {
  it('uses a stored cursor only when it is well formed and made for the same settings', () => {
    const cursor = new Cursor('k');
    cursor.seen.add('a', at(1));
    cursor.link = 'https://x/delta?$deltatoken=1';
    const stored = JSON.parse(JSON.stringify(cursor.toStored()));
    const back = Cursor.fromStored(stored, 'k') as Cursor;
    assert.equal(back.link, cursor.link);
    assert.equal(back.seen.has('a'), true);
    assert.equal(Cursor.fromStored(stored, 'other'), undefined);
    assert.equal(Cursor.fromStored({ ...stored, version: 1 }, 'k'), undefined);
    assert.equal(Cursor.fromStored({ ...stored, link: 3 }, 'k'), undefined);
    assert.equal(Cursor.fromStored({ ...stored, seen: 'AAAA' }, 'k'), undefined);
    assert.equal(Cursor.fromStored('garbage', 'k'), undefined);
  });

  it('recognises a version 1 cursor for migration', () => {
    const v1 = { version: 1, key: 'k', mode: 'delta', link: 'https://x', watermark: { at: at(1), ids: [] } };
    assert.deepEqual(readCursorV1(v1, 'k'), v1);
    assert.equal(readCursorV1(v1, 'other'), undefined);
    assert.equal(readCursorV1({ ...v1, watermark: { at: 'yesterday-ish', ids: [] } }, 'k'), undefined);
    assert.equal(readCursorV1({ ...v1, done: [1] }, 'k'), undefined);
  });

  it('a memory store hands out copies', async () => {
    const store = memoryCursorStore();
    const cursor = new Cursor('k');
    const stored = cursor.toStored();
    await store.set(stored);
    stored.link = 'changed';
    assert.deepEqual(await store.get(), { version: 2, key: 'k', seen: '' });
  });
});
