import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { VoicePulseEvent } from '../../../core/events/schema.ts';
import { COMMITTED_MODEL_DIR, COMMITTED_MODEL_VERSION, saveModel } from '../../../core/model/format.ts';
import { RuntimeError } from '../../../core/model/runtime.ts';
import { randomTdnn, seededModel, smallNetwork } from '../../../core/model/testing/tdnn.ts';
import { DEFAULT_SETTINGS, StreamingConfigError, streamingConfig } from '../../../core/streaming/config.ts';
import { voiced } from '../../../core/streaming/testing/synthetic.ts';
import { DEFAULT_POLICY } from '../../../core/tenancy/policy.ts';
import {
  type BackendOptions,
  createBackend,
  MAX_START_FAILURES,
  scoringCores,
  shardOf,
  type WorkerPool,
} from './backend.ts';
import type { EngineOutput } from './engine.ts';

const dir = mkdtempSync(join(tmpdir(), 'vp-model-'));
saveModel(seededModel('backend'), dir);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const meta = (callId: string) => ({ callId, tenantId: 't', agentId: null, queue: null });

/** A pool of scoring threads (createBackend with threads > 0). */
const pool = (opts: Omit<BackendOptions, 'config'>) =>
  createBackend({ ...opts, config: DEFAULT_SETTINGS }) as WorkerPool;

function until(pred: () => boolean, ms = 20_000): Promise<void> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () =>
      pred() ? resolve() : Date.now() - t0 > ms ? reject(new Error('timeout')) : setTimeout(tick, 10);
    tick();
  });
}

describe('scoringCores', () => {
  it('counts a core per thread, leaving one of the machine to the gateway, at least one', () => {
    const cases: [threads: number, cores: number][] = [
      [1, 1],
      [1, 2],
      [2, 2],
      [2, 3],
      [3, 4],
      [8, 4],
      [15, 16],
    ];
    expect(cases.map(([t, c]) => scoringCores(t, c))).toEqual([1, 1, 1, 2, 3, 3, 15]);
  });
});

describe('WorkerPool', () => {
  it('shards calls by id hash, stably', () => {
    expect(shardOf('call-1', 4)).toBe(shardOf('call-1', 4));
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 400; i++) counts[shardOf(`call-${i}`, 4)]!++;
    expect(Math.min(...counts)).toBeGreaterThan(60);
  });

  it('scores calls on threads and survives a thread dying, losing only that thread’s in-flight work', async () => {
    const events: VoicePulseEvent[] = [];
    const restarts: number[] = [];
    const scoring = pool({
      modelDir: dir,
      threads: 2,
      onEvents: (out) => events.push(...out.map((o) => o.event)),
      onRestart: (shard) => restarts.push(shard),
    });
    try {
      // Two calls on different shards.
      const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
      const victim = ids.find((id) => shardOf(id, 2) === 0)!;
      const survivor = ids.find((id) => shardOf(id, 2) === 1)!;
      const calls = [victim, survivor];
      for (const [k, id] of calls.entries()) scoring.startCall(k, meta(id), DEFAULT_POLICY);
      for (const k of calls.keys()) scoring.pushAudio(k, 'customer', voiced(3000), 0);
      await until(() => events.filter((e) => e.type === 'score').length === 4);
      await scoring.crash(0);
      await until(() => restarts.length === 1);
      for (const k of calls.keys()) scoring.pushAudio(k, 'customer', voiced(3000, { seed: 4 }), 0);
      for (const k of calls.keys()) scoring.endCall(k, 0);
      await until(() => events.filter((e) => e.type === 'call_summary').length === 2);
      const windows = (id: string) =>
        events
          .filter((e) => e.type === 'score' && e.callId === id)
          .map((e) => e.type === 'score' && e.windowEndMs);
      // The survivor's timeline is intact; the victim resumes at 3 s on a fresh window grid.
      expect(windows(survivor)).toEqual([2000, 3000, 4000, 5000, 6000]);
      expect(windows(victim)).toEqual([2000, 3000, 5000, 6000]);
      expect(scoring.restarts).toBe(1);
    } finally {
      await scoring.close();
    }
  });

  it('keeps two calls with one id apart on one thread: one ending leaves the other scoring', async () => {
    const out: EngineOutput[] = [];
    let batched = 0;
    const scoring = pool({
      modelDir: dir,
      threads: 1,
      onEvents: (o) => out.push(...o),
      onBatch: (windows) => {
        batched += windows;
      },
    });
    try {
      scoring.startCall(1, { ...meta('X'), tenantId: 'acme' }, DEFAULT_POLICY);
      scoring.startCall(2, { ...meta('X'), tenantId: 'globex' }, DEFAULT_POLICY);
      scoring.pushAudio(1, 'customer', voiced(3000), 0);
      scoring.endCall(1, 0);
      await until(() => out.some((o) => o.event.type === 'call_summary'));
      // globex's X goes on after acme's X has ended and been forgotten.
      scoring.pushAudio(2, 'customer', voiced(4000, { seed: 2 }), 0);
      scoring.endCall(2, 0);
      await until(() => out.filter((o) => o.event.type === 'call_summary').length === 2);
      const of = (instance: number) => out.filter((o) => o.instance === instance).map((o) => o.event);
      expect(of(1).map((e) => e.tenantId)).toEqual(Array(of(1).length).fill('acme'));
      expect(of(2).map((e) => e.tenantId)).toEqual(Array(of(2).length).fill('globex'));
      const ends = (instance: number) =>
        of(instance).flatMap((e) => (e.type === 'score' ? [e.windowEndMs] : []));
      expect(ends(1)).toEqual([2000, 3000]);
      expect(ends(2)).toEqual([2000, 3000, 4000]);
      expect(of(2).at(-1)).toMatchObject({ type: 'call_summary', durationMs: 4000 });
      // Each batch the thread scored was reported (admission by load).
      expect(batched).toBe(5);
    } finally {
      await scoring.close();
    }
  });

  it('loads the committed TDNN on ONNX Runtime in a scoring thread and scores with it', async () => {
    const events: VoicePulseEvent[] = [];
    const ready: string[] = [];
    const scoring = pool({
      modelDir: COMMITTED_MODEL_DIR,
      threads: 1,
      onEvents: (out) => events.push(...out.map((o) => o.event)),
      onReady: (_shard, model) => ready.push(model),
    });
    try {
      scoring.startCall(1, meta('t1'), DEFAULT_POLICY);
      scoring.pushAudio(1, 'customer', voiced(4000), 0);
      scoring.endCall(1, 0);
      await until(() => events.some((e) => e.type === 'call_summary'));
      expect(ready).toHaveLength(1);
      expect(ready[0]).toMatch(new RegExp(`^model ${COMMITTED_MODEL_VERSION}: TDNN .*, onnx$`));
      const scores = events.filter((e) => e.type === 'score');
      expect(scores.length).toBe(3);
      for (const e of scores) {
        const total = Object.values(e.probs).reduce((a, b) => a + b, 0);
        expect(total).toBeCloseTo(1, 5);
      }
    } finally {
      await scoring.close();
    }
  });
});

describe('WorkerPool start-up failures', () => {
  it('stops replacing a thread that cannot load its model, reports why once, and stays down', async () => {
    const broken = mkdtempSync(join(tmpdir(), 'vp-broken-model-'));
    saveModel(seededModel('broken'), broken);
    writeFileSync(join(broken, 'weights.bin'), new Uint8Array(8)); // truncated
    const failed: string[] = [];
    const scoring = pool({
      modelDir: broken,
      threads: 1,
      onEvents: () => {},
      onFailed: (reason) => failed.push(reason),
    });
    try {
      expect(scoring.failure).toBeNull();
      await until(() => scoring.failure !== null, 60_000);
      expect(failed).toHaveLength(1);
      expect(scoring.failure).toMatch(
        new RegExp(`failed to start ${MAX_START_FAILURES} times in a row: .*too short`),
      );
      expect(scoring.restarts).toBe(MAX_START_FAILURES - 1);
      // Nothing respawns afterwards.
      await new Promise((r) => setTimeout(r, 1500));
      expect(scoring.restarts).toBe(MAX_START_FAILURES - 1);
      expect(failed).toHaveLength(1);
    } finally {
      await scoring.close();
      rmSync(broken, { recursive: true, force: true });
    }
  }, 90_000);
});

describe('createBackend', () => {
  const options = { modelDir: dir, config: DEFAULT_SETTINGS, threads: 1, onEvents: () => {} };

  it('fails at start-up on a named runtime that is not installed', () => {
    expect(() => createBackend({ ...options, runtime: 'tfjs-node' })).toThrow(RuntimeError);
    expect(() => createBackend({ ...options, runtime: 'tfjs-node' })).toThrow(/^NOT_INSTALLED: /);
  });

  it('fails at start-up on a model directory without a valid model.json', () => {
    expect(() => createBackend({ ...options, modelDir: join(dir, 'absent') })).toThrow(/^UNREADABLE: /);
  });

  it('cuts live windows as the model was trained, and refuses a configured window that differs', async () => {
    // A model trained on 1 s windows every 500 ms, scored live on the calling thread.
    const short = mkdtempSync(join(tmpdir(), 'vp-model-1s-'));
    const network = smallNetwork({ nMels: 64, prosody: true, pool: 2, frames: 50 });
    saveModel(randomTdnn(network, 'short', { scale: 8, window: { lengthMs: 1000, hopMs: 500 } }), short);
    try {
      const events: VoicePulseEvent[] = [];
      const inline = createBackend({
        ...options,
        modelDir: short,
        threads: 0,
        onEvents: (out) => events.push(...out.map((o) => o.event)),
      });
      inline.startCall(1, meta('w'), DEFAULT_POLICY);
      inline.pushAudio(1, 'customer', voiced(2000), 0);
      inline.endCall(1, 0);
      await inline.settle(10_000);
      expect(events.flatMap((e) => (e.type === 'score' ? [[e.windowStartMs, e.windowEndMs]] : []))).toEqual([
        [0, 1000],
        [500, 1500],
        [1000, 2000],
      ]);
      await inline.close();
      // The same model under settings that name the 2 s window of the product's defaults.
      expect(() => createBackend({ ...options, modelDir: short, config: streamingConfig() })).toThrow(
        StreamingConfigError,
      );
      expect(() => createBackend({ ...options, modelDir: short, config: streamingConfig() })).toThrow(
        /^WINDOW_MISMATCH: the configured window \(2000 ms every 1000 ms\) differs from the model's \(1000 ms every 500 ms\)/,
      );
    } finally {
      rmSync(short, { recursive: true, force: true });
    }
  });
});
