// Small benchmark harness: suites register in bench/run.ts, measure with `measure`, and return a
// table plus pass/fail verdicts that run.ts prints.
import type { Settings } from '../core/config/env.ts';
import { seededRandom } from '../core/random.ts';

export interface Verdict {
  label: string;
  ok: boolean;
  detail: string;
}

export interface SuiteResult {
  columns: string[];
  rows: string[][];
  verdicts: Verdict[];
  notes?: string[];
}

export interface BenchSuite {
  /** Selects the suite: `npm run bench -- <name>`. */
  name: string;
  description: string;
  /** `settings`: the environment, parsed once by run.ts (the bench's VOICEPULSE_BENCH_* among them). */
  run(settings: Settings): SuiteResult | Promise<SuiteResult>;
}

export interface Timing {
  runs: number;
  bestMs: number;
  medianMs: number;
}

/**
 * Times fn on this thread: one warm-up call (JIT), then repeated calls until minMs have passed
 * (at least minRuns). Best-of-N is the figure least disturbed by other processes on a shared
 * machine; the median shows the spread.
 */
export function measure(fn: () => void, { minMs = 1500, minRuns = 5 } = {}): Timing {
  fn();
  const times: number[] = [];
  const until = performance.now() + minMs;
  while (times.length < minRuns || performance.now() < until) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  return timing(times);
}

/** `measure` for an asynchronous fn: each call is awaited before the next starts. */
export async function measureAsync(
  fn: () => Promise<unknown>,
  { minMs = 1500, minRuns = 5 } = {},
): Promise<Timing> {
  await fn();
  const times: number[] = [];
  const until = performance.now() + minMs;
  while (times.length < minRuns || performance.now() < until) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return timing(times);
}

function timing(times: number[]): Timing {
  times.sort((a, b) => a - b);
  return { runs: times.length, bestMs: times[0]!, medianMs: times[times.length >> 1]! };
}

/** Pads columns to a plain-text table; numbers (right) and text (left) aligned per cell. */
export function formatTable(columns: string[], rows: string[][]): string {
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] ?? '').length)));
  const isNumber = (s: string) => /^[-+]?[0-9.,]+[×x%]?$/.test(s);
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (isNumber(cell) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Seeded speech-like test audio: a gliding harmonic tone with a little noise. */
export function speechLikeAudio(seconds: number, sr: number): Float32Array {
  const y = new Float32Array(Math.round(seconds * sr));
  const random = seededRandom('bench audio');
  let phase = 0;
  for (let i = 0; i < y.length; i++) {
    phase += (2 * Math.PI * (140 + 60 * Math.sin(i / 6000))) / sr;
    y[i] = 0.3 * Math.sin(phase) + 0.1 * Math.sin(2 * phase) + 0.02 * (random() - 0.5);
  }
  return y;
}
