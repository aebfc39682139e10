import { strict as assert } from 'node:assert';
import { AckOutcome, AckQueue } from '../../../src/receive/acknowledge';
import { READ_ATTEMPTS, SkipMemory } from '../../../src/receive/memory';

describe('receive: what is not emitted again', () => {
  it('skips a mail whose acknowledgement failed, and says to warn only the first time', () => {
    const memory = new SkipMemory();
    assert.equal(memory.skips('a'), false);
    assert.equal(memory.ackFailed('a'), true);
    assert.equal(memory.ackFailed('a'), false);
    assert.equal(memory.skips('a'), true);
    assert.equal(memory.count('ack-failed'), 1);
  });

  it(`skips a mail only after ${READ_ATTEMPTS} failed reads, and forgets failures once it reads fine`, () => {
    const memory = new SkipMemory();
    for (let i = 1; i < READ_ATTEMPTS; i++) assert.equal(memory.readFailed('a'), false);
    memory.readSucceeded('a');
    for (let i = 1; i < READ_ATTEMPTS; i++) assert.equal(memory.readFailed('a'), false);
    assert.equal(memory.skips('a'), false);
    assert.equal(memory.readFailed('a'), true);
    assert.equal(memory.skips('a'), true);
    assert.equal(memory.count('unreadable'), 1);
  });

  it('is bounded: the oldest entries are forgotten', () => {
    const memory = new SkipMemory(3);
    for (const id of ['a', 'b', 'c', 'd']) memory.ackFailed(id);
    assert.equal(memory.skips('a'), false);
    assert.equal(memory.skips('d'), true);
  });
});

describe('receive: acknowledgement queue', () => {
  it('sends full batches of 20 as mails are delivered and the rest on flush', async () => {
    const sent: string[][] = [];
    const queue = new AckQueue(async (ids) => {
      sent.push(ids);
      return ids.map((id): AckOutcome => ({ id, ok: true, gone: false }));
    });
    for (let i = 0; i < 45; i++) await queue.add(`m${i}`);
    assert.deepEqual(
      sent.map((b) => b.length),
      [20, 20],
    );
    const outcomes = await queue.flush();
    assert.deepEqual(
      sent.map((b) => b.length),
      [20, 20, 5],
    );
    assert.equal(outcomes.length, 45);
    assert.deepEqual(
      outcomes.map((o) => o.id),
      Array.from({ length: 45 }, (_, i) => `m${i}`),
    );
  });

  it('holds delivery back while 4 batches are waiting', async () => {
    const releases: (() => void)[] = [];
    const queue = new AckQueue(
      (ids) =>
        new Promise<AckOutcome[]>((resolve) =>
          releases.push(() => resolve(ids.map((id) => ({ id, ok: true, gone: false })))),
        ),
      1,
      4,
    );
    for (let i = 0; i < 3; i++) await queue.add(`m${i}`);
    let fourthReturned = false;
    const fourth = queue.add('m3').then(() => (fourthReturned = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(releases.length, 4, 'the fourth batch is sent');
    assert.equal(fourthReturned, false, 'but delivery waits for room');
    releases[0]();
    await fourth;
    assert.equal(fourthReturned, true);
    releases.forEach((r) => r());
    assert.equal((await queue.flush()).length, 4);
  });
});
