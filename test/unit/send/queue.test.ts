import assert from 'node:assert/strict';
import { SendQueue } from '../../../src/send/queue';

/** A job the test finishes by hand. */
interface Gate {
  id: number;
  finish: () => void;
  started: boolean;
  signal?: AbortSignal;
}

function gates(n: number): Gate[] {
  return Array.from({ length: n }, (_, id) => ({ id, finish: () => undefined, started: false }));
}

function runGate(order: number[]) {
  return (gate: Gate, signal: AbortSignal) =>
    new Promise<void>((resolve) => {
      gate.started = true;
      gate.signal = signal;
      order.push(gate.id);
      gate.finish = resolve;
    });
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('SendQueue', () => {
  it('starts jobs in arrival order, at most four at a time', async () => {
    const order: number[] = [];
    const jobs = gates(7);
    const queue = new SendQueue(runGate(order), { concurrency: 4 });
    for (const job of jobs) queue.push(job);
    assert.deepEqual(order, [0, 1, 2, 3]);
    assert.equal(queue.active, 4);
    assert.equal(queue.queued, 3);
    jobs[2].finish();
    await tick();
    assert.deepEqual(order, [0, 1, 2, 3, 4]);
    for (const job of jobs) job.finish();
    await tick();
    jobs[5].finish();
    jobs[6].finish();
    await tick();
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6]);
    assert.equal(queue.active, 0);
  });

  it('reports running and waiting counts as they change', async () => {
    const seen: string[] = [];
    const jobs = gates(3);
    const queue = new SendQueue(runGate([]), {
      concurrency: 2,
      onChange: (running, waiting) => seen.push(`${running}/${waiting}`),
    });
    for (const job of jobs) queue.push(job);
    assert.equal(seen.at(-1), '2/1');
    jobs[0].finish();
    await tick();
    assert.equal(seen.at(-1), '2/0');
    jobs[1].finish();
    jobs[2].finish();
    await tick();
    assert.equal(seen.at(-1), '0/0');
  });

  it('keeps going when a job fails', async () => {
    const ran: number[] = [];
    const queue = new SendQueue<number>(
      async (n) => {
        ran.push(n);
        if (n === 1) throw new Error('boom');
      },
      { concurrency: 1 },
    );
    [1, 2, 3].forEach((n) => queue.push(n));
    for (let i = 0; i < 5; i++) await tick();
    assert.deepEqual(ran, [1, 2, 3]);
  });

  it('on close hands back jobs that never started and lets running ones finish', async () => {
    const jobs = gates(6);
    const queue = new SendQueue(runGate([]), { concurrency: 4 });
    for (const job of jobs) queue.push(job);
    const closing = queue.close({ graceMs: 1000, abortGraceMs: 1000 });
    assert.equal(queue.push(gates(1)[0]), false, 'a closed queue takes no more jobs');
    jobs.slice(0, 4).forEach((job) => job.finish());
    const notStarted = await closing;
    assert.deepEqual(
      notStarted.map((j) => j.id),
      [4, 5],
    );
    assert.equal(jobs[0].signal?.aborted, false, 'jobs that finished in time were not aborted');
  });

  it('aborts running jobs after the grace period and never waits unbounded', async () => {
    const jobs = gates(2);
    const queue = new SendQueue(runGate([]), { concurrency: 4 });
    jobs.forEach((job) => queue.push(job));
    // The first job honours its signal; the second ignores it and never ends.
    jobs[0].signal?.addEventListener('abort', () => jobs[0].finish());
    const notStarted = await queue.close({ graceMs: 10, abortGraceMs: 20 });
    assert.deepEqual(notStarted, []);
    assert.equal(jobs[0].signal?.aborted, true);
    assert.equal(queue.active, 1, 'the stubborn job is abandoned, not awaited');
  });
});
