import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { VoicePulseEvent } from '../../../core/events/schema.ts';
import { FileNamePattern } from '../../../core/recordings/metadata.ts';
import type { RecordingKey, RecordingStore } from '../../../core/recordings/store.ts';
import { callWav, syntheticCall } from '../../../core/recordings/testing/audio.ts';
import { analyzeFiles, type BatchProgress } from './batch.ts';
import { energyPool } from './testing/pool.ts';

const dir = mkdtempSync(join(tmpdir(), 'vp-batch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const files = [0, 1, 2, 3].map((i) => {
  const f = join(dir, `t_c-${i}.wav`);
  writeFileSync(f, callWav(syntheticCall(8, { seed: i + 1 })));
  return f;
});
const odd = join(dir, 'unnamed.wav');
writeFileSync(odd, callWav(syntheticCall(8, { seed: 9 })));

/** A store in memory: what was stored, by key. */
function memoryStore(): RecordingStore & { stored: Map<string, VoicePulseEvent[]> } {
  const stored = new Map<string, VoicePulseEvent[]>();
  const id = (k: RecordingKey) => `${k.tenantId}/${k.callId}/${k.contentHash}`;
  return {
    kind: 'clickhouse',
    stored,
    async lookup(k) {
      return stored.has(id(k)) ? { state: 'same' } : { state: 'absent' };
    },
    async store(k, events) {
      stored.set(id(k), [...events]);
    },
  };
}

describe('analyzeFiles', () => {
  it('reports every file in order, a bad one on its own line, and keeps input bytes in flight under the budget', async () => {
    const pool = energyPool();
    let now = 0;
    let most = 0;
    const analyze = pool.analyze.bind(pool);
    pool.analyze = async (job) => {
      most = Math.max(most, ++now);
      try {
        return await analyze(job);
      } finally {
        now--;
      }
    };
    const store = memoryStore();
    const progress: BatchProgress[] = [];
    const size = statSync(files[0]!).size;
    const reports = await analyzeFiles([...files, odd], {
      pool,
      store,
      policies: {},
      roles: {},
      pattern: new FileNamePattern('{tenant}_{callId}'),
      maxInFlightBytes: Math.round(1.5 * size),
      onProgress: (p) => progress.push(p),
    });
    await pool.close();
    expect(reports.map((r) => [r.callId, r.status])).toEqual([
      ['c-0', 'analysed'],
      ['c-1', 'analysed'],
      ['c-2', 'analysed'],
      ['c-3', 'analysed'],
      [null, 'failed'],
    ]);
    expect(reports[4]!.reason).toMatch(/^BAD_METADATA: file name 'unnamed'/);
    expect(most).toBe(1); // two files would pass the byte budget
    expect(store.stored.size).toBe(4);
    const last = progress.at(-1)!;
    expect(last).toMatchObject({ filesDone: 5, filesTotal: 5, audioMs: 4 * 8000 });
    expect(last.etaMs).toBe(0);
  });
});
