import assert from 'node:assert/strict';
import { Coalescer } from '../../../src/act/coalescer';

interface Item {
  mail: string;
  n: number;
}

/** A dispatch the test answers by hand: each batch waits until `finish` is called. */
function manualDispatch() {
  const batches: { items: Item[]; finish: (fail?: Error) => void; signal: AbortSignal }[] = [];
  const dispatch = (items: Item[], signal: AbortSignal) =>
    new Promise<string[]>((resolve, reject) => {
      batches.push({
        items,
        signal,
        finish: (fail) => (fail ? reject(fail) : resolve(items.map((i) => `done ${i.n}`))),
      });
    });
  return { batches, dispatch };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const closed = () => new Error('closed');
const items = (n: number, mail = (i: number) => `m${i}`): Item[] =>
  Array.from({ length: n }, (_, i) => ({ mail: mail(i), n: i }));

describe('Coalescer', () => {
  it('sends a lone request on the next turn of the event loop, alone', async () => {
    const { batches, dispatch } = manualDispatch();
    const coalescer = new Coalescer(dispatch);
    const result = coalescer.submit({ mail: 'a', n: 1 }, closed);
    assert.equal(batches.length, 0, 'not in the same turn: others arriving now join it');
    await tick();
    assert.equal(batches.length, 1);
    assert.deepEqual(batches[0].items, [{ mail: 'a', n: 1 }]);
    batches[0].finish();
    assert.equal(await result, 'done 1');
  });

  it('gathers what arrives in one turn into one batch, each caller getting its own result', async () => {
    const { batches, dispatch } = manualDispatch();
    const coalescer = new Coalescer<Item, string>(dispatch);
    const results = items(7).map((item) => coalescer.submit(item, closed));
    await tick();
    assert.equal(batches.length, 1);
    assert.equal(batches[0].items.length, 7);
    batches[0].finish();
    assert.deepEqual(
      await Promise.all(results),
      items(7).map((i) => `done ${i.n}`),
    );
  });

  it('sends 20 at once without waiting for the next turn, and keeps later ones for the next batch', async () => {
    const { batches, dispatch } = manualDispatch();
    const coalescer = new Coalescer<Item, string>(dispatch, { maxBatch: 20 });
    for (const item of items(25)) void coalescer.submit(item, closed);
    assert.equal(batches.length, 0, 'not before the code submitting is done: it may submit more');
    await Promise.resolve();
    assert.equal(batches.length, 1, 'the 20th request sent the batch at once, in the same turn');
    assert.equal(batches[0].items.length, 20);
    await tick();
    assert.equal(batches.length, 1, 'the rest waits: the batch holds all 4 mailbox slots');
    assert.equal(coalescer.queued, 5);
    batches[0].finish();
    await tick();
    assert.equal(batches.length, 2);
    assert.deepEqual(
      batches[1].items.map((i) => i.n),
      [20, 21, 22, 23, 24],
    );
  });

  it('runs small batches side by side while their slots are free, then gathers the rest', async () => {
    const { batches, dispatch } = manualDispatch();
    const coalescer = new Coalescer<Item, string>(dispatch, { slots: 4 });
    for (const n of [1, 2, 3]) {
      void coalescer.submit({ mail: `m${n}`, n }, closed);
      await tick();
    }
    assert.equal(batches.length, 3, 'three lone requests in flight, one slot each');
    for (const item of items(10, (i) => `x${i}`)) void coalescer.submit(item, closed);
    await tick();
    assert.equal(batches.length, 3, 'a batch of 10 needs 4 slots; 1 is free');
    batches[0].finish();
    await tick();
    assert.equal(batches.length, 3, 'still only 2 free');
    batches[1].finish();
    batches[2].finish();
    await tick();
    assert.equal(batches.length, 4);
    assert.equal(batches[3].items.length, 10);
  });

  it('never runs two requests on the same mail at once, and keeps their order', async () => {
    const { batches, dispatch } = manualDispatch();
    const coalescer = new Coalescer<Item, string>(dispatch, { keyOf: (i) => i.mail });
    const first = coalescer.submit({ mail: 'same', n: 1 }, closed);
    void coalescer.submit({ mail: 'other', n: 2 }, closed);
    const second = coalescer.submit({ mail: 'same', n: 3 }, closed);
    await tick();
    assert.deepEqual(
      batches.map((b) => b.items.map((i) => i.n)),
      [[1, 2]],
    );
    batches[0].finish();
    assert.equal(await first, 'done 1');
    await tick();
    assert.deepEqual(
      batches[1].items.map((i) => i.n),
      [3],
    );
    batches[1].finish();
    assert.equal(await second, 'done 3');
  });

  it('fails every request of a batch whose dispatch failed', async () => {
    const { batches, dispatch } = manualDispatch();
    const coalescer = new Coalescer<Item, string>(dispatch);
    const results = items(3).map((item) => coalescer.submit(item, closed));
    await tick();
    batches[0].finish(new Error('network down'));
    for (const result of results) await assert.rejects(result, /network down/);
  });

  it('on close refuses waiting and new requests, lets running ones finish, aborts them after the grace', async () => {
    const { batches, dispatch } = manualDispatch();
    const coalescer = new Coalescer<Item, string>(dispatch, { maxBatch: 2 });
    const results = items(5).map((item) => coalescer.submit(item, closed));
    await tick();
    assert.equal(batches.length, 2, 'two batches of 2 hold the 4 slots');
    const closing = coalescer.close(closed, { graceMs: 30, abortGraceMs: 1000 });
    await assert.rejects(results[4], /closed/);
    await assert.rejects(coalescer.submit({ mail: 'late', n: 9 }, closed), /closed/);
    batches[0].finish();
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(batches[1].signal.aborted, true, 'the batch still running after the grace is aborted');
    batches[1].finish(new Error('aborted'));
    await closing;
    assert.equal(await results[0], 'done 0');
    await assert.rejects(results[2], /aborted/);
  });
});

/** Results the chained tests answer with: `ran` or `not run` (a 424 after a failed item of the chain). */
type Answer = 'ran' | 'failed' | 'not run';

function chainDispatch() {
  const batches: {
    items: Item[];
    chained: boolean;
    finish: (answer?: (item: Item, index: number) => Answer) => void;
  }[] = [];
  const dispatch = (batch: Item[], _signal: AbortSignal, chained: boolean) =>
    new Promise<Answer[]>((resolve) => {
      batches.push({
        items: batch,
        chained,
        finish: (answer = () => 'ran') => resolve(batch.map((item, i) => answer(item, i))),
      });
    });
  return { batches, dispatch };
}

describe('Coalescer: chained batches', () => {
  const options = {
    keyOf: (i: Item) => i.mail,
    chainable: (i: Item) => i.mail !== 'unchainable',
    notRun: (r: Answer) => r === 'not run',
  };

  it('chains batches while more requests wait, one slot each, so 4 run side by side', async () => {
    const { batches, dispatch } = chainDispatch();
    const coalescer = new Coalescer<Item, Answer>(dispatch, options);
    for (let n = 0; n < 4; n++) void coalescer.submit({ mail: `lone${n}`, n }, closed);
    for (const item of items(160)) void coalescer.submit(item, closed);
    await tick();
    assert.equal(batches.length, 4);
    assert.deepEqual(
      batches.map((b) => [b.items.length, b.chained]),
      [
        [20, true],
        [20, true],
        [20, true],
        [20, true],
      ],
    );
    assert.equal(coalescer.queued, 84);
  });

  it('sends the last batch of a burst unchained when the slots are free (a quarter of the time)', async () => {
    const { batches, dispatch } = chainDispatch();
    const coalescer = new Coalescer<Item, Answer>(dispatch, options);
    for (const item of items(12)) void coalescer.submit(item, closed);
    await tick();
    assert.deepEqual(
      batches.map((b) => [b.items.length, b.chained]),
      [[12, false]],
    );
  });

  it('spreads a burst evenly over the 4 slots, and chains only batches whose requests allow it', async () => {
    const { batches, dispatch } = chainDispatch();
    const coalescer = new Coalescer<Item, Answer>(dispatch, options);
    for (const item of items(50)) void coalescer.submit(item, closed);
    await Promise.resolve();
    assert.deepEqual(
      batches.map((b) => [b.items.length, b.chained]),
      [
        [13, true],
        [13, true],
        [13, true],
        [11, true],
      ],
      'a quarter of the burst each, so the chains end together',
    );
    const other = chainDispatch();
    const unchained = new Coalescer<Item, Answer>(other.dispatch, options);
    for (const item of items(30, (i) => (i === 3 ? 'unchainable' : `m${i}`)))
      void unchained.submit(item, closed);
    await Promise.resolve();
    assert.deepEqual(
      other.batches.map((b) => [b.items.length, b.chained]),
      [[20, false]],
      'a batch with a request that may not be chained goes unchained, holding the 4 slots',
    );
  });

  it('asks again the requests a failure in the chain kept from running, first in the next batch, never what ran', async () => {
    const { batches, dispatch } = chainDispatch();
    const coalescer = new Coalescer<Item, Answer>(dispatch, options);
    const results = items(100).map((item) => coalescer.submit(item, closed));
    await tick();
    assert.equal(batches.length, 4);
    // Item 3 of the first chain fails; Graph does not run the 16 after it (424).
    batches[0].finish((_, i) => (i < 3 ? 'ran' : i === 3 ? 'failed' : 'not run'));
    await tick();
    assert.equal(batches.length, 5);
    assert.deepEqual(
      batches[4].items.slice(0, 16).map((i) => i.n),
      Array.from({ length: 16 }, (_, i) => 4 + i),
      'the 16 not run go again, first and in order',
    );
    assert.equal(batches[4].chained, true);
    let finished = 1;
    while (finished < batches.length) {
      for (const batch of batches.slice(finished)) batch.finish();
      finished = batches.length;
      await tick();
    }
    const answers = await Promise.all(results);
    assert.equal(answers[3], 'failed', 'the failure is the failed request’s own');
    assert.deepEqual(
      answers.filter((a, i) => i !== 3),
      Array(99).fill('ran'),
      'none reported as not run',
    );
    const asked = batches.flatMap((b) => b.items.map((i) => i.n));
    for (let n = 0; n < 100; n++) {
      const times = n >= 4 && n < 20 ? 2 : 1;
      assert.equal(asked.filter((x) => x === n).length, times, `item ${n} sent ${times} time(s)`);
    }
  });

  it('rejects requests kept from running as closed when the node closes meanwhile', async () => {
    const { batches, dispatch } = chainDispatch();
    const coalescer = new Coalescer<Item, Answer>(dispatch, options);
    const results = items(40).map((item) => coalescer.submit(item, closed));
    await tick();
    assert.equal(batches.length, 4);
    const closing = coalescer.close(closed);
    batches[1].finish((_, i) => (i === 0 ? 'failed' : 'not run'));
    for (const n of [0, 2, 3]) batches[n].finish();
    await closing;
    assert.equal(await results[0], 'ran');
    assert.equal(await results[10], 'failed');
    await assert.rejects(results[11], /closed/);
    assert.equal(batches.length, 4, 'nothing sent after close');
  });
});
