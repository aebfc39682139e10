/** Polling schedules (Quartz cron, 5-field crontab, fixed interval, manual) and a poller whose polls never overlap. */
import { Cron, type CronOptions } from 'croner';
import { CronProblemCodes, type CronProblem } from './graph/error-codes';
import { ConfigError } from './graph/errors';
import { readBoolean, type MailInProperties } from './red/properties';

export type PollSchedule =
  { type: 'cron'; expression: string } | { type: 'interval'; seconds: number } | { type: 'manual' };

/** setTimeout cannot wait longer than this; longer waits are re-armed in steps. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** The fields of a Quartz expression, in order (a crontab has minutes to day-of-week). */
export const QUARTZ_FIELDS = ['seconds', 'minutes', 'hours', 'day-of-month', 'month', 'day-of-week', 'year'];
const CRONTAB_FIELDS = ['minutes', 'hours', 'day-of-month', 'month', 'day-of-week'];

function cronOptions(fieldCount: number): CronOptions {
  const quartz = fieldCount !== 5;
  return {
    paused: true,
    mode: fieldCount === 5 ? '5-part' : fieldCount === 6 ? '6-part' : '7-part',
    // Quartz numbers weekdays 1 (SUN) to 7 (SAT) and allows 'start/step' such as 5/15; crontab numbers 0-7.
    alternativeWeekdays: quartz,
    sloppyRanges: true,
  };
}

function fieldsOf(expression: string): string[] {
  return expression.trim().split(/\s+/);
}

export type { CronProblem, CronProblemCode } from './graph/error-codes';

/** A cron expression that cannot be used: a setting of `cron`, with its problem as data. */
export class CronError extends ConfigError {
  constructor(readonly problem: CronProblem) {
    const text = cronProblemText(problem);
    super(text, { property: 'cron', detail: text });
  }
}

/** Quartz rules croner does not enforce itself, checked field by field. */
function quartzFieldProblem(fields: string[]): Omit<CronProblem, 'expression'> | null {
  const [, , , dom, , dow] = fields;
  if (/^L-\d+/i.test(dom)) return { code: CronProblemCodes.lastDayOffset, value: dom };
  const numbers = dow.replace(/#\w+|L$/gi, '').match(/\d+/g) ?? [];
  if (numbers.some((n) => Number(n) < 1 || Number(n) > 7) && !/\//.test(dow)) {
    return { code: CronProblemCodes.weekdayRange, value: dow };
  }
  const open = (f: string) => f === '?' || f === '*';
  if (!open(dom) && !open(dow)) return { code: CronProblemCodes.bothDays, value: dom, other: dow };
  return null;
}

function cronError(err: unknown): string {
  return String((err as Error)?.message ?? err).replace(/^CronPattern:\s*/, '');
}

/** Names the first field croner rejects, by trying each field alone in an otherwise open expression. */
function badField(fields: string[]): Omit<CronProblem, 'expression'> | null {
  const names = fields.length === 5 ? CRONTAB_FIELDS : QUARTZ_FIELDS;
  const open: string[] = fields.map((_, i) => (fields.length !== 5 && i === 0 ? '0' : '*'));
  for (let i = 0; i < fields.length; i++) {
    const probe = [...open];
    probe[i] = fields[i];
    try {
      new Cron(probe.join(' '), cronOptions(fields.length));
    } catch (err) {
      return { code: CronProblemCodes.badField, field: names[i], value: fields[i], detail: cronError(err) };
    }
  }
  return null;
}

function buildCron(expression: string): Cron {
  const fields = fieldsOf(expression);
  return new Cron(fields.join(' '), cronOptions(fields.length));
}

/**
 * Checks a cron expression: Quartz (6 fields with seconds, or 7 with year; '?', 'L', 'W', '#', names) or a 5-field
 * crontab. Returns null when valid, else the problem naming the bad field.
 */
export function cronProblem(given: string): CronProblem | null {
  if (typeof given !== 'string' || given.trim() === '')
    return { code: CronProblemCodes.empty, expression: '' };
  const expression = given.trim();
  const fields = fieldsOf(expression);
  if (fields.length < 5 || fields.length > 7) {
    return { code: CronProblemCodes.fieldCount, expression, count: fields.length };
  }
  const problem = (fields.length !== 5 ? quartzFieldProblem(fields) : null) ?? badField(fields);
  if (problem) return { ...problem, expression };
  let cron: Cron;
  try {
    cron = buildCron(expression);
  } catch (err) {
    return { code: CronProblemCodes.invalid, expression, detail: cronError(err) };
  }
  if (!cron.nextRun(new Date())) return { code: CronProblemCodes.never, expression };
  return null;
}

/** A cron problem in English, for logs and errors (the catalogues word it for users). */
export function cronProblemText(problem: CronProblem): string {
  const { expression: e, value, other, count } = problem;
  const quoted = (text: string | undefined) => JSON.stringify(text ?? '');
  const expression = `cron expression ${quoted(e)}`;
  switch (problem.code) {
    case CronProblemCodes.empty:
      return 'cron expression is empty';
    case CronProblemCodes.fieldCount:
      return (
        `${expression} has ${count} field${count === 1 ? '' : 's'}; use Quartz ` +
        '(seconds minutes hours day-of-month month day-of-week [year], e.g. "0 */5 * * * ?") or a 5-field crontab'
      );
    case CronProblemCodes.lastDayOffset:
      return `${expression}: day-of-month: ${quoted(value)} (an offset from the last day) is not supported`;
    case CronProblemCodes.weekdayRange:
      return `${expression}: day-of-week: ${quoted(value)} is out of range; Quartz numbers days 1 (SUN) to 7 (SAT), or use SUN-SAT`;
    case CronProblemCodes.bothDays:
      return `${expression}: day-of-month ${quoted(value)} and day-of-week ${quoted(other)} are both set; use ? in one of them`;
    case CronProblemCodes.badField:
      return `${expression}: ${problem.field}: ${quoted(value)} is not valid (${problem.detail})`;
    case CronProblemCodes.invalid:
      return `${expression} is not valid: ${problem.detail}`;
    case CronProblemCodes.never:
      return `${expression} never runs again (an impossible date, or a past year)`;
  }
}

/** A cron expression's problem in English, or null when it is valid (see cronProblem). */
export function checkCron(expression: string): string | null {
  const problem = cronProblem(expression);
  return problem && cronProblemText(problem);
}

/** Returns null for a usable schedule, else a message saying what is wrong with it. */
export function checkSchedule(schedule: PollSchedule): string | null {
  if (typeof schedule !== 'object' || schedule === null) return 'schedule is missing';
  switch (schedule.type) {
    case 'cron':
      return checkCron(schedule.expression);
    case 'interval':
      return typeof schedule.seconds === 'number' && Number.isFinite(schedule.seconds) && schedule.seconds > 0
        ? null
        : `interval must be a number of seconds greater than 0, got ${JSON.stringify(schedule.seconds)}`;
    case 'manual':
      return null;
    default:
      return `schedule type must be 'cron', 'interval' or 'manual', got ${JSON.stringify((schedule as { type: unknown }).type)}`;
  }
}

/** When a node polls: its schedule and whether it polls once right after deploy. */
export interface PollSettings {
  schedule: PollSchedule;
  pollOnStart: boolean;
  /** pollType push: change notifications wake the node; `schedule` is then its safety-net interval. */
  push: boolean;
}

export const DEFAULT_CRON = '0 */5 * * * ?';
export const DEFAULT_INTERVAL_SECONDS = 300;
/** The safety-net poll of pollType push: notifications do the work, this only catches what they missed. */
export const DEFAULT_PUSH_INTERVAL_SECONDS = 900;

/**
 * Reads and checks the polling properties (defaults as README.md gives them: cron `0 *\/5 * * * ?`, 300 s, poll on start). Throws a
 * ConfigError naming `pollType`, `cron`, `interval` or `pollOnStart`; `detail` holds the schedule's own problem.
 */
export function readPollSettings(
  raw: Pick<MailInProperties, 'pollType' | 'cron' | 'interval' | 'pollOnStart'>,
): PollSettings {
  const type = raw.pollType || 'cron';
  let schedule: PollSchedule;
  if (type === 'manual') schedule = { type: 'manual' };
  else if (type === 'interval' || type === 'push') {
    const interval = raw.interval;
    const fallback = type === 'push' ? DEFAULT_PUSH_INTERVAL_SECONDS : DEFAULT_INTERVAL_SECONDS;
    schedule = {
      type: 'interval',
      seconds: interval === undefined || interval === '' ? fallback : Number(interval),
    };
  } else if (type === 'cron') {
    schedule = { type: 'cron', expression: raw.cron === undefined ? DEFAULT_CRON : String(raw.cron) };
  } else {
    const problem = `schedule type must be 'cron', 'interval', 'manual' or 'push', got ${JSON.stringify(type)}`;
    throw new ConfigError(problem, { property: 'pollType', detail: problem });
  }
  if (schedule.type === 'cron') {
    const problem = cronProblem(schedule.expression);
    if (problem) throw new CronError(problem);
  }
  const problem = checkSchedule(schedule);
  if (problem) throw new ConfigError(problem, { property: schedule.type, detail: problem });
  return { schedule, pollOnStart: readBoolean('pollOnStart', raw.pollOnStart, true), push: type === 'push' };
}

function assertSchedule(schedule: PollSchedule): void {
  const problem = checkSchedule(schedule);
  if (problem) throw new RangeError(problem);
}

/** The next `count` run times after `from` ([] for manual polling). */
export function nextRuns(schedule: PollSchedule, from: Date, count: number): Date[] {
  assertSchedule(schedule);
  if (!Number.isInteger(count) || count < 0)
    throw new RangeError(`count must be a whole number >= 0, got ${count}`);
  if (count === 0 || schedule.type === 'manual') return [];
  if (schedule.type === 'interval') {
    return Array.from(
      { length: count },
      (_, i) => new Date(from.getTime() + (i + 1) * schedule.seconds * 1000),
    );
  }
  return buildCron(schedule.expression).nextRuns(count, from);
}

export interface PollerOptions {
  pollOnStart: boolean;
  onError: (err: Error) => void;
  onIdle?: (nextRunAt: Date | null) => void;
  onPollStart?: () => void;
  setTimer?: typeof setTimeout;
  clearTimer?: typeof clearTimeout;
  now?: () => Date;
  /** How long stop() waits for a poll that ignores its AbortSignal (default 2000 ms). */
  stopGraceMs?: number;
}

type Timer = ReturnType<typeof setTimeout>;

/**
 * Runs pollOnce on the schedule. Polls never overlap: trigger() during a poll queues exactly one more poll after it.
 * stop() clears every timer, aborts the running poll and resolves when it has settled, or after a grace period.
 */
export class Poller {
  private readonly setTimer: typeof setTimeout;
  private readonly clearTimer: typeof clearTimeout;
  private readonly now: () => Date;
  private timer: Timer | null = null;
  private started = false;
  private stopped = false;
  private pending = false;
  private current: Promise<void> | null = null;
  private controller: AbortController | null = null;
  private next: Date | null = null;

  constructor(
    private readonly schedule: PollSchedule,
    private readonly pollOnce: (signal: AbortSignal) => Promise<void>,
    private readonly options: PollerOptions,
  ) {
    assertSchedule(schedule);
    if (typeof pollOnce !== 'function') throw new TypeError('pollOnce must be a function');
    this.setTimer = options.setTimer ?? setTimeout;
    this.clearTimer = options.clearTimer ?? clearTimeout;
    this.now = options.now ?? (() => new Date());
  }

  /** True while a poll is in progress. */
  get running(): boolean {
    return this.current !== null;
  }

  /** When the next scheduled poll starts (null while polling, when manual, or after stop). */
  get nextRunAt(): Date | null {
    return this.next;
  }

  /** Starts the schedule (and polls at once when pollOnStart); calling it again does nothing. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    if (this.options.pollOnStart) this.poll();
    else this.arm();
  }

  /** Polls now, or once more right after the poll in progress (several triggers make one poll). */
  trigger(): void {
    if (this.stopped) return;
    if (this.current) this.pending = true;
    else this.poll();
  }

  /** Stops for good: clears timers, aborts the running poll, resolves once it settled (at most the grace period). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.pending = false;
    this.cancelTimer();
    this.next = null;
    this.controller?.abort();
    const current = this.current;
    if (!current) return;
    let grace: Timer | undefined;
    const timeout = new Promise<void>((resolve) => {
      grace = this.setTimer(resolve, this.options.stopGraceMs ?? 2000);
    });
    await Promise.race([current, timeout]);
    if (grace !== undefined) this.clearTimer(grace);
  }

  private cancelTimer(): void {
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
  }

  private arm(): void {
    this.cancelTimer();
    const [next] = this.schedule.type === 'manual' ? [] : nextRuns(this.schedule, this.now(), 1);
    this.next = next ?? null;
    this.safely(() => this.options.onIdle?.(this.next));
    if (this.next) this.waitUntil(this.next);
  }

  private waitUntil(at: Date): void {
    const delay = Math.max(0, at.getTime() - this.now().getTime());
    // setTimeout fires at once for delays over 2^31-1 ms (about 24.8 days); wait in steps instead.
    if (delay > MAX_TIMER_DELAY_MS) this.timer = this.setTimer(() => this.waitUntil(at), MAX_TIMER_DELAY_MS);
    else this.timer = this.setTimer(() => this.poll(), delay);
  }

  private poll(): void {
    if (this.stopped) return;
    this.cancelTimer();
    this.next = null;
    const controller = new AbortController();
    this.controller = controller;
    this.safely(() => this.options.onPollStart?.());
    this.current = (async () => {
      try {
        await this.pollOnce(controller.signal);
      } catch (err) {
        if (!this.stopped)
          this.safely(() => this.options.onError(err instanceof Error ? err : new Error(String(err))));
      }
    })().finally(() => {
      this.current = null;
      this.controller = null;
      if (this.stopped) return;
      try {
        if (this.pending) {
          this.pending = false;
          this.poll();
        } else if (this.started) this.arm();
      } catch (err) {
        // An exception here would be an unhandled rejection, which stops Node-RED; report it instead.
        this.safely(() => this.options.onError(err instanceof Error ? err : new Error(String(err))));
      }
    });
  }

  /** Callbacks belong to the node; one that throws must not break the schedule. */
  private safely(callback: () => void): void {
    try {
      callback();
    } catch {
      // Ignored on purpose: the poller keeps its schedule whatever a listener does.
    }
  }
}
