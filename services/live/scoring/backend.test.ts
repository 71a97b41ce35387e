import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { VoicePulseEvent } from '../../../core/events/schema.ts';
import { COMMITTED_MODEL_DIR, COMMITTED_MODEL_VERSION, saveModel } from '../../../core/model/model.ts';
import { RuntimeError } from '../../../core/model/runtime.ts';
import { streamingConfig } from '../../../core/streaming/config.ts';
import { voiced } from '../../../core/streaming/testing/synthetic.ts';
import { createBackend, MAX_START_FAILURES, shardOf, WorkerPool } from './backend.ts';
import { DEFAULT_POLICY } from '../../../core/tenancy/policy.ts';
import { randomModel } from './testing/model.ts';

const dir = mkdtempSync(join(tmpdir(), 'vp-model-'));
saveModel(randomModel(5), dir);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const meta = (callId: string) => ({ callId, tenantId: 't', agentId: null, queue: null });

function until(pred: () => boolean, ms = 20_000): Promise<void> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () =>
      pred() ? resolve() : Date.now() - t0 > ms ? reject(new Error('timeout')) : setTimeout(tick, 10);
    tick();
  });
}

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
    const pool = new WorkerPool({
      modelDir: dir,
      config: streamingConfig(),
      threads: 2,
      onEvents: (out) => events.push(...out.map((o) => o.event)),
      onRestart: (shard) => restarts.push(shard),
    });
    try {
      // Two calls on different shards.
      const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
      const victim = ids.find((id) => shardOf(id, 2) === 0)!;
      const survivor = ids.find((id) => shardOf(id, 2) === 1)!;
      for (const id of [victim, survivor]) pool.startCall(meta(id), DEFAULT_POLICY);
      for (const id of [victim, survivor]) pool.pushAudio(id, 'customer', voiced(3000), 0);
      await until(() => events.filter((e) => e.type === 'score').length === 4);
      await pool.crash(0);
      await until(() => restarts.length === 1);
      for (const id of [victim, survivor]) pool.pushAudio(id, 'customer', voiced(3000, { seed: 4 }), 0);
      for (const id of [victim, survivor]) pool.endCall(id, 0);
      await until(() => events.filter((e) => e.type === 'call_summary').length === 2);
      const windows = (id: string) =>
        events
          .filter((e) => e.type === 'score' && e.callId === id)
          .map((e) => e.type === 'score' && e.windowEndMs);
      // The survivor's timeline is intact; the victim resumes at 3 s on a fresh window grid.
      expect(windows(survivor)).toEqual([2000, 3000, 4000, 5000, 6000]);
      expect(windows(victim)).toEqual([2000, 3000, 5000, 6000]);
      expect(pool.restarts).toBe(1);
    } finally {
      await pool.close();
    }
  });

  it('loads the committed TDNN on ONNX Runtime in a scoring thread and scores with it', async () => {
    const events: VoicePulseEvent[] = [];
    const ready: string[] = [];
    const pool = new WorkerPool({
      modelDir: COMMITTED_MODEL_DIR,
      config: streamingConfig(),
      threads: 1,
      onEvents: (out) => events.push(...out.map((o) => o.event)),
      onReady: (_shard, model) => ready.push(model),
    });
    try {
      pool.startCall(meta('t1'), DEFAULT_POLICY);
      pool.pushAudio('t1', 'customer', voiced(4000), 0);
      pool.endCall('t1', 0);
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
      await pool.close();
    }
  });
});

describe('WorkerPool start-up failures', () => {
  it('stops replacing a thread that cannot load its model, reports why once, and stays down', async () => {
    const broken = mkdtempSync(join(tmpdir(), 'vp-broken-model-'));
    saveModel(randomModel(6), broken);
    writeFileSync(join(broken, 'weights.bin'), new Uint8Array(8)); // truncated
    const failed: string[] = [];
    const pool = new WorkerPool({
      modelDir: broken,
      config: streamingConfig(),
      threads: 1,
      onEvents: () => {},
      onFailed: (reason) => failed.push(reason),
    });
    try {
      expect(pool.failure).toBeNull();
      await until(() => pool.failure !== null, 60_000);
      expect(failed).toHaveLength(1);
      expect(pool.failure).toMatch(
        new RegExp(`failed to start ${MAX_START_FAILURES} times in a row: .*too short`),
      );
      expect(pool.restarts).toBe(MAX_START_FAILURES - 1);
      // Nothing respawns afterwards.
      await new Promise((r) => setTimeout(r, 1500));
      expect(pool.restarts).toBe(MAX_START_FAILURES - 1);
      expect(failed).toHaveLength(1);
    } finally {
      await pool.close();
      rmSync(broken, { recursive: true, force: true });
    }
  }, 90_000);
});

describe('createBackend', () => {
  it('fails at start-up on an invalid VOICEPULSE_MODEL_RUNTIME', () => {
    vi.stubEnv('VOICEPULSE_MODEL_RUNTIME', 'gpu');
    try {
      expect(() =>
        createBackend({ modelDir: dir, config: streamingConfig(), threads: 1, onEvents: () => {} }),
      ).toThrow(RuntimeError);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
