// `npm run bench -- analyze`: recorded calls into history, end to end as `voicepulse analyze` runs
// them (read, decode, the live scoring engine per call on worker threads, idempotent store into
// embedded ClickHouse), in multiples of real time. Next to it, measured in the same run, the
// baseline: the same code one file at a time on the main thread. The audio: synthetic two-speaker
// calls (core/recordings/testing/audio.ts), 8 kHz stereo µ-law WAV and the same calls as MP3,
// speakers taking 6 s turns, so each talks about half the call; default tenant policy (agent
// emotion not scored), so the model scores the customer's speech windows.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openChdb } from '../../core/clickhouse/client.ts';
import { migrate } from '../../core/clickhouse/migrations.ts';
import { COMMITTED_MODEL_DIR } from '../../core/model/format.ts';
import type { RecordingReport } from '../../core/recordings/report.ts';
import { callWav, encodeMp3, syntheticCall } from '../../core/recordings/testing/audio.ts';
import { DEFAULT_SETTINGS } from '../../core/streaming/config.ts';
import { analyzeFiles } from '../../services/live/recordings/batch.ts';
import { AnalysisPool } from '../../services/live/recordings/pool.ts';
import { clickhouseRecordingStore } from '../../services/sink/recording-store.ts';
import type { BenchSuite } from '../harness.ts';

const TARGET = 1000;
/** 20 calls of 3 minutes: an hour of WAV; the MP3 set is the first 10 of them. */
const CALLS = 20;
const CALL_SECONDS = 180;
const MP3_CALLS = Math.ceil(CALLS / 2);

export const analyzeSuite: BenchSuite = {
  name: 'analyze',
  description: `recorded calls into history (decode, score, store), ${CALLS} × ${CALL_SECONDS / 60} min stereo calls, parallel vs one file at a time (× real time)`,
  async run(settings) {
    const dir = mkdtempSync(join(tmpdir(), 'vp-bench-analyze-'));
    const ch = await openChdb(join(dir, 'chdb'));
    try {
      await migrate(ch);
      const store = clickhouseRecordingStore(ch);
      const wavs: string[] = [];
      const mp3s: string[] = [];
      for (let i = 0; i < CALLS; i++) {
        const call = syntheticCall(CALL_SECONDS, { seed: i + 1 });
        const wav = join(dir, `call-${i}.wav`);
        writeFileSync(wav, callWav(call));
        wavs.push(wav);
        if (i < MP3_CALLS) {
          const mp3 = join(dir, `call-${i}.mp3`);
          writeFileSync(mp3, await encodeMp3(call.channels, 8000));
          mp3s.push(mp3);
        }
      }
      const threads = availableParallelism();
      const rows: string[][] = [];
      const speeds = new Map<string, number>();
      let scored = 0;
      let hops = 0;
      // Each run stores under its own tenant, so none is skipped as already stored.
      const measure = async (label: string, files: string[], pool: AnalysisPool, tenantId: string) => {
        const warm = await analyzeFiles(files.slice(0, 1), {
          pool,
          store,
          policies: {},
          roles: {},
          tenantId: `${tenantId}-warm`,
        });
        if (warm[0]?.status !== 'analysed') throw new Error(`bench warm-up failed: ${warm[0]?.reason}`);
        const t = performance.now();
        const reports: RecordingReport[] = await analyzeFiles(files, {
          pool,
          store,
          policies: {},
          roles: {},
          tenantId,
        });
        const ms = performance.now() - t;
        const failed = reports.filter((r) => r.status !== 'analysed');
        if (failed.length > 0) throw new Error(`bench: ${failed[0]?.file}: ${failed[0]?.reason}`);
        const audioMs = reports.reduce((n, r) => n + (r.durationS ?? 0) * 1000, 0);
        if (label.startsWith('WAV, parallel'))
          for (const r of reports) {
            scored += r.emotion.customer?.windows ?? 0;
            hops += Math.floor(r.durationS ?? 0);
          }
        const speed = audioMs / ms;
        speeds.set(label, speed);
        rows.push([
          label,
          String(files.length),
          (audioMs / 3_600_000).toFixed(2),
          (ms / 1000).toFixed(1),
          `${speed.toFixed(0)}×`,
        ]);
      };
      const model = {
        modelDir: settings.model.dir ?? COMMITTED_MODEL_DIR,
        runtime: settings.model.runtime,
        // As `voicepulse analyze` runs: explanations per VOICEPULSE_EXPLAIN (default on).
        explain: settings.model.explain,
        config: DEFAULT_SETTINGS,
      };
      const parallel = new AnalysisPool({ ...model, threads });
      const sequential = new AnalysisPool({ ...model, threads: 0, concurrency: 1 });
      try {
        await measure('WAV, one file at a time (baseline)', wavs, sequential, 'bench-sequential');
        await measure(`WAV, parallel (${threads} threads)`, wavs, parallel, 'bench-parallel');
        await measure(`MP3, parallel (${threads} threads)`, mp3s, parallel, 'bench-mp3');
      } finally {
        await parallel.close();
        await sequential.close();
      }
      const base = speeds.get('WAV, one file at a time (baseline)')!;
      for (const row of rows) row.push(`${((speeds.get(row[0]!) ?? 0) / base).toFixed(2)}×`);
      const wav = speeds.get(`WAV, parallel (${threads} threads)`)!;
      return {
        columns: ['path', 'files', 'audio h', 'wall s', 'real time', 'vs baseline'],
        rows,
        notes: [
          `model: ${parallel.models[0] ?? 'unknown'}`,
          `customer windows scored: ${scored} of ${hops} hops (${((100 * scored) / Math.max(1, hops)).toFixed(0)} %: the customer talks about half the call; agent emotion is off by default)`,
        ],
        verdicts: [
          {
            label: `8 kHz stereo µ-law WAV, ${threads} threads`,
            ok: wav >= TARGET,
            detail: `${wav.toFixed(0)}× real time (target ≥ ${TARGET}×: an hour of calls in ${(3600 / wav).toFixed(1)} s)${wav >= TARGET ? '' : `: ${(TARGET / wav).toFixed(2)}× short`}`,
          },
        ],
      };
    } finally {
      await ch.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
