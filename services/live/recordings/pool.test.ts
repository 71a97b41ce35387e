import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { saveModel } from '../../../core/model/format.ts';
import { seededModel } from '../../../core/model/testing/tdnn.ts';
import { completeMeta } from '../../../core/recordings/metadata.ts';
import { callWav, syntheticCall } from '../../../core/recordings/testing/audio.ts';
import { DEFAULT_SETTINGS } from '../../../core/streaming/config.ts';
import { DEFAULT_POLICY } from '../../../core/tenancy/policy.ts';
import { AnalysisPool, leastLoaded, takeFrom } from './pool.ts';

const dir = mkdtempSync(join(tmpdir(), 'vp-pool-model-'));
saveModel(seededModel('pool'), dir);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const load = (bytes: number, recordings: number, waiting = 0) => ({ bytes, recordings, waiting });

describe('leastLoaded', () => {
  it('gives a recording to the thread with the fewest unfinished bytes, then the fewest recordings', () => {
    expect(leastLoaded([load(100, 1), load(40, 3)])).toBe(1);
    expect(leastLoaded([load(40, 2), load(40, 1), load(40, 1)])).toBe(1);
    expect(leastLoaded([load(0, 0), load(0, 0)])).toBe(0);
  });
});

describe('takeFrom', () => {
  it("starts a thread's own waiting recording first, else takes from the longest wait elsewhere", () => {
    expect(takeFrom(0, [load(10, 2, 1), load(30, 4, 3)])).toBe(0);
    expect(takeFrom(0, [load(10, 1, 0), load(30, 4, 1), load(30, 4, 2)])).toBe(2);
    expect(takeFrom(1, [load(10, 1, 0), load(30, 1, 0)])).toBe(-1);
  });
});

describe('AnalysisPool on threads', () => {
  const job = (seed: number, seconds = 6) => {
    const bytes = callWav(syntheticCall(seconds, { seed }));
    return {
      bytes,
      meta: completeMeta({ callId: `c${seed}` }, { contentHash: `h${seed}`, modifiedAtMs: 0 }),
      policy: DEFAULT_POLICY,
      roles: {},
    };
  };

  it('analyses each recording once across threads, as one thread does', async () => {
    const spread = new AnalysisPool({ modelDir: dir, config: DEFAULT_SETTINGS, threads: 2, concurrency: 1 });
    const one = new AnalysisPool({ modelDir: dir, config: DEFAULT_SETTINGS, threads: 1, concurrency: 4 });
    try {
      const seeds = [1, 2, 3, 4, 5];
      const [a, b] = await Promise.all([
        Promise.all(seeds.map((s) => spread.analyze(job(s)))),
        Promise.all(seeds.map((s) => one.analyze(job(s)))),
      ]);
      const calls = (outs: typeof a) => outs.map((o) => o.events.at(-1)?.callId);
      expect(calls(a)).toEqual(seeds.map((s) => `c${s}`));
      expect(a.map((o) => o.events.length)).toEqual(b.map((o) => o.events.length));
    } finally {
      await spread.close();
      await one.close();
    }
  });

  it('fails only the recording a dying thread was analysing; the one waiting beside it is analysed', async () => {
    const pool = new AnalysisPool({ modelDir: dir, config: DEFAULT_SETTINGS, threads: 1, concurrency: 1 });
    try {
      // A thread that dies before its model loads is a model that cannot load: wait until it has.
      await pool.analyze(job(3));
      expect(pool.models).toHaveLength(1);
      // Ten minutes of call: still in flight when the thread is ended.
      const running = pool.analyze(job(1, 600)).then(
        () => 'analysed',
        (err: Error) => err.message,
      );
      const waiting = pool.analyze(job(2));
      await pool.crash(0);
      expect(await running).toMatch(/^analysis thread exited/);
      const out = await waiting;
      expect(out.events.at(-1)).toMatchObject({ type: 'call_summary', callId: 'c2' });
    } finally {
      await pool.close();
    }
  });
});
