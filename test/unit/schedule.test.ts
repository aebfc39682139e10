import assert from 'node:assert/strict';
import {
  MAX_TIMER_DELAY_MS,
  Poller,
  checkCron,
  CronError,
  cronProblem,
  readPollSettings,
  checkSchedule,
  nextRuns,
  type PollerOptions,
} from '../../src/schedule';

/** A clock and timer queue the tests move by hand, so no test waits for real time. */
class FakeClock {
  nowMs: number;
  private nextId = 1;
  timers = new Map<number, { at: number; fn: () => void }>();
  delays: number[] = [];

  constructor(start: Date) {
    this.nowMs = start.getTime();
  }

  now = (): Date => new Date(this.nowMs);

  setTimer = ((fn: () => void, ms?: number) => {
    const id = this.nextId++;
    this.delays.push(ms ?? 0);
    this.timers.set(id, { at: this.nowMs + (ms ?? 0), fn });
    return id;
  }) as unknown as typeof setTimeout;

  clearTimer = ((id: number) => {
    this.timers.delete(id);
  }) as unknown as typeof clearTimeout;

  /** Moves time forward, firing due timers in order and letting promises settle after each. */
  async advance(ms: number): Promise<void> {
    const target = this.nowMs + ms;
    for (;;) {
      await settle();
      const due = [...this.timers.entries()]
        .filter(([, t]) => t.at <= target)
        .sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.nowMs = Math.max(this.nowMs, due[1].at);
      due[1].fn();
    }
    this.nowMs = target;
    await settle();
  }
}

function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function deferred() {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const START = new Date(2025, 0, 1, 0, 0, 0); // local time, so cron fields read as written

function options(clock: FakeClock, extra: Partial<PollerOptions> = {}): PollerOptions {
  return {
    pollOnStart: false,
    onError: (err) => assert.fail(`unexpected error: ${err.message}`),
    setTimer: clock.setTimer,
    clearTimer: clock.clearTimer,
    now: clock.now,
    ...extra,
  };
}

describe('checkCron', () => {
  it('accepts Quartz expressions with seconds, year, ?, L, W, #, steps and names', () => {
    for (const expression of [
      '0 */5 * * * ?',
      '0 0 12 * * ?',
      '0 15 10 ? * MON-FRI',
      '0 15 10 ? * 6L',
      '0 15 10 ? * 6#3',
      '0 15 10 L * ?',
      '0 15 10 15W * ?',
      '0 5/15 * * * ?',
      '0 0 12 ? JAN,JUL SUN',
      '0 0 12 1 1 ? 2099',
      '0 0 12 * * ? 2030-2040',
      '  0   */5 * * * ?  ',
    ]) {
      assert.equal(checkCron(expression), null, expression);
    }
  });

  it('accepts a 5-field crontab', () => {
    assert.equal(checkCron('*/5 * * * *'), null);
    assert.equal(checkCron('0 8 * * 1-5'), null);
  });

  it('names the field that is wrong', () => {
    const cases: [string, RegExp][] = [
      ['61 * * * * ?', /seconds: "61" is not valid/],
      ['0 61 * * * ?', /minutes: "61" is not valid/],
      ['0 0 25 * * ?', /hours: "25" is not valid/],
      ['0 0 0 32 * ?', /day-of-month: "32" is not valid/],
      ['0 0 0 ? 13 *', /month: "13" is not valid/],
      ['0 0 0 ? FOO *', /month: "FOO" is not valid/],
      ['0 0 0 ? * 0', /day-of-week: "0" is out of range; Quartz numbers days 1 \(SUN\) to 7 \(SAT\)/],
      ['0 0 0 ? * 8', /day-of-week: "8" is out of range/],
      ['0 0 0 L-3 * ?', /day-of-month: "L-3" .* not supported/],
      ['0 0 0 * * ? 10000', /year: "10000" is not valid/],
      ['61 * * * *', /minutes: "61" is not valid/],
    ];
    for (const [expression, message] of cases)
      assert.match(checkCron(expression) ?? 'valid', message, expression);
  });

  it('refuses both day-of-month and day-of-week in Quartz form', () => {
    assert.match(
      checkCron('0 0 12 1 * MON') ?? '',
      /day-of-month "1" and day-of-week "MON" are both set; use \? in one/,
    );
  });

  it('refuses a wrong number of fields, an empty expression and one that never runs', () => {
    assert.match(checkCron('* * * *') ?? '', /has 4 fields; use Quartz/);
    assert.match(checkCron('0 0 0 * * ? 2030 x') ?? '', /has 8 fields/);
    assert.equal(checkCron(''), 'cron expression is empty');
    assert.equal(checkCron(undefined as unknown as string), 'cron expression is empty');
    assert.match(checkCron('0 0 0 30 2 ?') ?? '', /never runs again/);
    assert.match(checkCron('0 0 0 1 1 ? 2001') ?? '', /never runs again/);
  });
});

describe('cronProblem', () => {
  it('gives the problem as data: a code, the field and value at fault', () => {
    assert.equal(cronProblem('0 */5 * * * ?'), null);
    assert.deepEqual(cronProblem(''), { code: 'empty', expression: '' });
    assert.deepEqual(cronProblem(' * * * * '), { code: 'field-count', expression: '* * * *', count: 4 });
    const bad = cronProblem('0 61 * * * ?');
    assert.deepEqual(
      { ...bad, detail: undefined },
      {
        code: 'bad-field',
        expression: '0 61 * * * ?',
        field: 'minutes',
        value: '61',
        detail: undefined,
      },
    );
    assert.deepEqual(cronProblem('0 0 12 1 * MON'), {
      code: 'both-days',
      expression: '0 0 12 1 * MON',
      value: '1',
      other: 'MON',
    });
    assert.equal(cronProblem('0 0 0 ? * 8')?.code, 'weekday-range');
    assert.equal(cronProblem('0 0 0 L-3 * ?')?.code, 'last-day-offset');
    assert.equal(cronProblem('0 0 0 1 1 ? 2001')?.code, 'never');
  });

  it('reads a bad expression as a CronError of the property cron, with its problem', () => {
    assert.throws(
      () => readPollSettings({ pollType: 'cron', cron: '0 0 25 * * ?' }),
      (err: unknown) => err instanceof CronError && err.property === 'cron' && err.problem.field === 'hours',
    );
  });
});

describe('checkSchedule', () => {
  it('requires an interval above 0 seconds', () => {
    assert.equal(checkSchedule({ type: 'interval', seconds: 0.5 }), null);
    for (const seconds of [0, -5, Number.NaN, Infinity, '30' as unknown as number]) {
      assert.match(
        checkSchedule({ type: 'interval', seconds }) ?? '',
        /interval must be a number of seconds greater than 0/,
      );
    }
  });

  it('refuses an unknown type', () => {
    assert.match(
      checkSchedule({ type: 'hourly' } as never) ?? '',
      /schedule type must be 'cron', 'interval' or 'manual'/,
    );
    assert.equal(checkSchedule({ type: 'manual' }), null);
  });
});

describe('nextRuns', () => {
  it('lists Quartz cron runs', () => {
    const runs = nextRuns({ type: 'cron', expression: '0 */5 * * * ?' }, START, 3);
    assert.deepEqual(
      runs.map((d) => d.getTime() - START.getTime()),
      [5, 10, 15].map((m) => m * 60_000),
    );
  });

  it('reads Quartz weekdays 1-7 as SUN-SAT and crontab weekdays 0-6 as SUN-SAT', () => {
    const quartzMonday = nextRuns({ type: 'cron', expression: '0 0 12 ? * 2' }, START, 2);
    const crontabMonday = nextRuns({ type: 'cron', expression: '0 12 * * 1' }, START, 2);
    for (const run of [...quartzMonday, ...crontabMonday]) {
      assert.equal(run.getDay(), 1);
      assert.equal(run.getHours(), 12);
    }
    assert.deepEqual(quartzMonday, crontabMonday);
  });

  it('honours the year field and L (last day of month)', () => {
    const [first] = nextRuns({ type: 'cron', expression: '0 30 9 1 3 ? 2031' }, START, 1);
    assert.deepEqual(first, new Date(2031, 2, 1, 9, 30, 0));
    const ends = nextRuns({ type: 'cron', expression: '0 0 0 L * ?' }, START, 2);
    assert.deepEqual(ends, [new Date(2025, 0, 31), new Date(2025, 1, 28)]);
  });

  it('counts intervals from the given time and gives nothing for manual polling', () => {
    assert.deepEqual(nextRuns({ type: 'interval', seconds: 90 }, START, 2), [
      new Date(START.getTime() + 90_000),
      new Date(START.getTime() + 180_000),
    ]);
    assert.deepEqual(nextRuns({ type: 'manual' }, START, 5), []);
    assert.deepEqual(nextRuns({ type: 'interval', seconds: 1 }, START, 0), []);
  });

  it('refuses a bad schedule or count', () => {
    assert.throws(
      () => nextRuns({ type: 'interval', seconds: 0 }, START, 1),
      /^RangeError: interval must be/,
    );
    assert.throws(() => nextRuns({ type: 'cron', expression: 'x' }, START, 1), /has 1 field;/);
    assert.throws(() => nextRuns({ type: 'manual' }, START, -1), /count must be a whole number/);
  });
});

describe('Poller', () => {
  it('polls at once on start when asked, then on the interval', async () => {
    const clock = new FakeClock(START);
    const polls: number[] = [];
    const idle: (Date | null)[] = [];
    const poller = new Poller(
      { type: 'interval', seconds: 60 },
      async () => {
        polls.push(clock.nowMs - START.getTime());
      },
      options(clock, { pollOnStart: true, onIdle: (next) => idle.push(next) }),
    );
    poller.start();
    await clock.advance(0);
    assert.deepEqual(polls, [0]);
    assert.deepEqual(poller.nextRunAt, new Date(START.getTime() + 60_000));
    assert.deepEqual(idle, [new Date(START.getTime() + 60_000)]);
    await clock.advance(125_000);
    assert.deepEqual(polls, [0, 60_000, 120_000]);
    await poller.stop();
  });

  it('waits for the first run when pollOnStart is false', async () => {
    const clock = new FakeClock(START);
    let polls = 0;
    const poller = new Poller(
      { type: 'cron', expression: '0 */5 * * * ?' },
      async () => void polls++,
      options(clock),
    );
    poller.start();
    poller.start(); // a second start changes nothing
    await clock.advance(299_000);
    assert.equal(polls, 0);
    await clock.advance(1_000);
    assert.equal(polls, 1);
    assert.deepEqual(poller.nextRunAt, new Date(START.getTime() + 600_000));
    await poller.stop();
  });

  it('never overlaps polls: triggers during a poll make exactly one more poll', async () => {
    const clock = new FakeClock(START);
    const gates: ReturnType<typeof deferred>[] = [];
    let active = 0;
    let maxActive = 0;
    const poller = new Poller(
      { type: 'manual' },
      async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        const gate = deferred();
        gates.push(gate);
        await gate.promise;
        active--;
      },
      options(clock),
    );
    poller.start();
    poller.trigger();
    assert.equal(poller.running, true);
    poller.trigger();
    poller.trigger();
    poller.trigger();
    await clock.advance(0);
    assert.equal(gates.length, 1);
    gates[0].resolve();
    await clock.advance(0);
    assert.equal(gates.length, 2, 'one queued poll after the first');
    gates[1].resolve();
    await clock.advance(0);
    assert.equal(gates.length, 2, 'the triggers coalesced into one');
    assert.equal(maxActive, 1);
    assert.equal(poller.running, false);
    await poller.stop();
  });

  it('does nothing on its own when manual, and polls on trigger', async () => {
    const clock = new FakeClock(START);
    let polls = 0;
    const idle: (Date | null)[] = [];
    const poller = new Poller(
      { type: 'manual' },
      async () => void polls++,
      options(clock, { onIdle: (n) => idle.push(n) }),
    );
    poller.start();
    await clock.advance(10 * 24 * 3600_000);
    assert.equal(polls, 0);
    assert.equal(poller.nextRunAt, null);
    assert.equal(clock.timers.size, 0);
    poller.trigger();
    await clock.advance(0);
    assert.equal(polls, 1);
    assert.deepEqual(idle, [null, null]);
    await poller.stop();
  });

  it('waits in steps below 2^31-1 ms for a cron run months away', async () => {
    const clock = new FakeClock(new Date(2025, 0, 2));
    const polls: Date[] = [];
    const poller = new Poller(
      { type: 'cron', expression: '0 0 0 1 1 ?' },
      async () => void polls.push(clock.now()),
      options(clock),
    );
    poller.start();
    assert.deepEqual(poller.nextRunAt, new Date(2026, 0, 1));
    await clock.advance(new Date(2026, 0, 1).getTime() - clock.nowMs - 1);
    assert.equal(polls.length, 0, 'no early poll from an overflowing timer');
    await clock.advance(1);
    assert.deepEqual(polls, [new Date(2026, 0, 1)]);
    assert.ok(clock.delays.every((d) => d <= MAX_TIMER_DELAY_MS));
    assert.ok(clock.delays.length > 10, 're-armed several times');
    await poller.stop();
  });

  it('reports poll errors and keeps polling', async () => {
    const clock = new FakeClock(START);
    const errors: string[] = [];
    let call = 0;
    const poller = new Poller(
      { type: 'interval', seconds: 10 },
      () => {
        call++;
        if (call === 1) return Promise.reject(new Error('Graph said 503'));
        if (call === 2) throw new Error('thrown synchronously');
        if (call === 3) return Promise.reject('a string');
        return Promise.resolve();
      },
      options(clock, {
        pollOnStart: true,
        onError: (err) => errors.push(`${err.constructor.name}: ${err.message}`),
      }),
    );
    poller.start();
    await clock.advance(35_000);
    assert.equal(call, 4);
    assert.deepEqual(errors, ['Error: Graph said 503', 'Error: thrown synchronously', 'Error: a string']);
    await poller.stop();
  });

  it('survives listeners that throw', async () => {
    const clock = new FakeClock(START);
    let polls = 0;
    const poller = new Poller(
      { type: 'interval', seconds: 5 },
      async () => void polls++,
      options(clock, {
        pollOnStart: true,
        onIdle: () => {
          throw new Error('listener');
        },
        onPollStart: () => {
          throw new Error('listener');
        },
      }),
    );
    poller.start();
    await clock.advance(10_000);
    assert.equal(polls, 3);
    await poller.stop();
  });

  it('stop() aborts the running poll, waits for it and clears every timer', async () => {
    const clock = new FakeClock(START);
    let signal: AbortSignal | undefined;
    let settled = false;
    let polls = 0;
    const poller = new Poller(
      { type: 'interval', seconds: 30 },
      (s) => {
        polls++;
        signal = s;
        return new Promise<void>((resolve) =>
          s.addEventListener('abort', () => {
            settled = true;
            resolve();
          }),
        );
      },
      options(clock, { pollOnStart: true }),
    );
    poller.start();
    poller.trigger(); // queued, must not run after stop
    await poller.stop();
    assert.equal(signal?.aborted, true);
    assert.equal(settled, true);
    assert.equal(clock.timers.size, 0);
    assert.equal(poller.nextRunAt, null);
    poller.trigger();
    poller.start();
    await clock.advance(120_000);
    assert.equal(polls, 1);
  });

  it('stop() returns after the grace period when a poll ignores its signal', async () => {
    let finish: () => void = () => undefined;
    let polls = 0;
    const poller = new Poller(
      { type: 'interval', seconds: 0.01 },
      () => {
        polls++;
        return new Promise<void>((resolve) => (finish = resolve));
      },
      { pollOnStart: true, onError: () => undefined, stopGraceMs: 30 },
    );
    poller.start();
    await poller.stop(); // must not hang although the poll never settles by itself
    finish();
    await new Promise((resolve) => setTimeout(resolve, 40));
    assert.equal(polls, 1, 'no poll after stop');
  });

  it('stop() without a running poll resolves at once, and errors after stop are not reported', async () => {
    const clock = new FakeClock(START);
    const gate = deferred();
    const errors: Error[] = [];
    const poller = new Poller(
      { type: 'manual' },
      () => gate.promise,
      options(clock, { onError: (e) => errors.push(e) }),
    );
    await poller.stop();
    const other = new Poller(
      { type: 'manual' },
      () => gate.promise,
      options(clock, { onError: (e) => errors.push(e) }),
    );
    other.trigger();
    const stopping = other.stop();
    gate.reject(new Error('aborted'));
    await stopping;
    assert.deepEqual(errors, []);
  });

  it('refuses a bad schedule when constructed', () => {
    const noop = async () => undefined;
    assert.throws(
      () => new Poller({ type: 'interval', seconds: 0 }, noop, { pollOnStart: true, onError: noop }),
      /interval must be a number of seconds greater than 0, got 0/,
    );
    assert.throws(
      () =>
        new Poller({ type: 'cron', expression: '0 0 25 * * ?' }, noop, { pollOnStart: true, onError: noop }),
      /hours: "25"/,
    );
  });
});
