/** What the benchmark measures with, and how it reports: memory sampling, figures with targets, the table. */
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import type { SimCounters, SimProcess } from './sim-control';

/** Samples the resident memory of this process every `everyMs` and keeps the peak. */
export class RssSampler {
  readonly start: number;
  peak: number;
  private readonly timer: NodeJS.Timeout;

  constructor(everyMs = 20) {
    this.start = process.memoryUsage.rss();
    this.peak = this.start;
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  /** Takes one sample now (also call it right before stopping, to catch the end state). */
  sample(): number {
    const rss = process.memoryUsage.rss();
    if (rss > this.peak) this.peak = rss;
    return rss;
  }

  /** Stops sampling; resolves the growth of the peak and of the end state over the start, in bytes. */
  stop(): { peakGrowth: number; endGrowth: number } {
    const end = this.sample();
    clearInterval(this.timer);
    return { peakGrowth: this.peak - this.start, endGrowth: end - this.start };
  }
}

let gc: (() => void) | undefined;

/** Runs a full garbage collection, so each run starts from a clean baseline (npm scripts cannot pass --expose-gc). */
export function collectGarbage(): void {
  if (!gc) {
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc') as () => void;
  }
  gc();
  gc();
}

/** What every measured run reports besides its own tally. */
export interface Measured {
  wallMs: number;
  peakRssGrowth: number;
  counters: SimCounters;
}

/**
 * Runs `work` with the simulator's counters reset, after a full GC, the wall clock running and memory sampled every
 * 20 ms; `work` counts into `tally`. Resolves with the tally, the wall time, the peak RSS growth and the counters.
 */
export async function measured<T extends object>(
  sim: SimProcess,
  tally: T,
  work: (tally: T) => Promise<void>,
): Promise<T & Measured> {
  await sim.ask({ cmd: 'resetCounters' });
  collectGarbage();
  const rss = new RssSampler();
  const started = performance.now();
  let peakRssGrowth = 0;
  try {
    await work(tally);
  } finally {
    peakRssGrowth = rss.stop().peakGrowth;
  }
  const wallMs = performance.now() - started;
  return { ...tally, wallMs, peakRssGrowth, counters: await sim.counters() };
}

/** One reported number, with its target when the issues set one. */
export interface Figure {
  /** Stable key in the JSON line. */
  key: string;
  label: string;
  value: number;
  unit: string;
  /** Human-readable target, e.g. "<= 1.02". */
  target?: string;
  pass?: boolean;
  /** The naive baseline's value of the same figure, when the bench ran one. */
  baseline?: number;
  /** For throughput: the improvement over the baseline is value / baseline, not baseline / value. */
  higherIsBetter?: boolean;
  note?: string;
}

/** A figure checked against an upper bound. */
export function atMost(key: string, label: string, value: number, unit: string, limit: number): Figure {
  return {
    key,
    label,
    value,
    unit,
    target: `<= ${round(limit)}${unit ? ' ' + unit : ''}`,
    pass: value <= limit,
  };
}

/** A figure checked against a lower bound. */
export function atLeast(key: string, label: string, value: number, unit: string, limit: number): Figure {
  return {
    key,
    label,
    value,
    unit,
    target: `>= ${round(limit)}${unit ? ' ' + unit : ''}`,
    pass: value >= limit,
  };
}

/** A figure reported without a target. */
export function info(key: string, label: string, value: number, unit: string): Figure {
  return { key, label, value, unit };
}

export function round(value: number): number {
  if (!Number.isFinite(value)) return value;
  const digits = Math.abs(value) >= 100 ? 1 : Math.abs(value) >= 1 ? 2 : 4;
  return Number(value.toFixed(digits));
}

export const MB = 1024 * 1024;

/** How many times better than the naive baseline this figure is ("" when there is none). */
export function improvement(f: Figure): string {
  if (f.baseline === undefined || f.baseline === 0 || f.value === 0) return '';
  const times = f.higherIsBetter ? f.value / f.baseline : f.baseline / f.value;
  return times >= 1 ? `${round(times)}x better` : `${round(1 / times)}x worse`;
}

/** The readable table of one section: figure, value, target, verdict, baseline and ratio. */
export function table(title: string, figures: Figure[]): string {
  const rows = figures.map((f) => [
    f.label,
    `${round(f.value)} ${f.unit}`.trim(),
    f.target ?? '',
    f.pass === undefined ? '' : f.pass ? 'PASS' : 'MISS',
    f.baseline === undefined ? '' : `${round(f.baseline)} ${f.unit}`.trim(),
    improvement(f),
  ]);
  const header = ['figure', 'value', 'target', '', 'naive baseline', 'ours vs naive'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const notes = figures.filter((f) => f.note).map((f) => `  * ${f.label}: ${f.note}`);
  return [
    `\n== ${title}`,
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    ...notes,
  ].join('\n');
}
