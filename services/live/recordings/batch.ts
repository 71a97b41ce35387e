// Analyses recordings end to end, for `voicepulse analyze` and the upload jobs: metadata (given,
// from a file-name pattern, or defaults), the idempotence check against the store, analysis on the
// pool, storing, and one report per recording. A recording that fails is reported on one line and
// the others go on.
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { readAudioFile } from '../../../core/audio/file.ts';
import { VoicePulseError } from '../../../core/errors.ts';
import type { CallSummaryEvent } from '../../../core/events/schema.ts';
import { RecordingError } from '../../../core/recordings/errors.ts';
import {
  completeMeta,
  type FileNamePattern,
  type GivenMeta,
  type MetadataIndex,
  type RecordingMeta,
} from '../../../core/recordings/metadata.ts';
import { analysedReport, otherReport, type RecordingReport } from '../../../core/recordings/report.ts';
import type { RoleOptions } from '../../../core/recordings/roles.ts';
import type { RecordingStore } from '../../../core/recordings/store.ts';
import { policyFor, type TenantPolicies } from '../../../core/tenancy/policy.ts';
import type { AnalysisPool } from './pool.ts';

export interface RecordingContext {
  pool: AnalysisPool;
  store: RecordingStore;
  policies: TenantPolicies;
  roles: RoleOptions;
}

export interface RecordingInput {
  /** Name in reports (a path, or the upload's job id). */
  file: string;
  bytes: Uint8Array;
  given: GivenMeta;
  /** Start of the call when none is given (a file's modification time, an upload's arrival). */
  modifiedAtMs: number;
  /** Tenant when none is given. */
  tenantId?: string;
  /** Called with the audio time analysed so far (ms). */
  onProgress?: (audioMs: number) => void;
}

export const contentHash = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** One line for any error: a VoicePulseError's message names its code; others their message. */
export const oneLine = (err: unknown) =>
  (err instanceof VoicePulseError || err instanceof Error ? err.message : String(err)).split('\n')[0]!;

/** Analyses and stores one recording (or skips it when the store already has it). */
export async function processRecording(
  input: RecordingInput,
  ctx: RecordingContext,
): Promise<RecordingReport> {
  let meta: RecordingMeta | undefined;
  try {
    const hash = contentHash(input.bytes);
    meta = completeMeta(input.given, {
      contentHash: hash,
      modifiedAtMs: input.modifiedAtMs,
      ...(input.tenantId !== undefined ? { tenantId: input.tenantId } : {}),
    });
    const key = { tenantId: meta.tenantId, callId: meta.callId, contentHash: hash };
    const stored = await ctx.store.lookup(key);
    if (stored.state === 'same')
      return otherReport(input.file, 'skipped', 'already stored (same audio and call id)', meta);
    if (stored.state === 'taken')
      throw new RecordingError(
        'CALL_ID_TAKEN',
        `call id ${meta.callId} of tenant ${meta.tenantId} already holds ${stored.by}; give this recording another call id`,
      );
    const out = await ctx.pool.analyze({
      bytes: input.bytes,
      meta,
      policy: policyFor(ctx.policies, meta.tenantId),
      roles: ctx.roles,
      ...(input.onProgress ? { onProgress: input.onProgress } : {}),
    });
    await ctx.store.store(key, out.events);
    const summary = out.events.at(-1) as CallSummaryEvent;
    return analysedReport(input.file, meta, summary, out.speakers);
  } catch (err) {
    return otherReport(input.file, 'failed', oneLine(err), meta);
  }
}

export interface BatchProgress {
  filesDone: number;
  filesTotal: number;
  /** Audio analysed so far, finished recordings and the progress of those in flight. */
  audioMs: number;
  /**
   * Time left, from the rate at which input bytes finished since the first recording did (so the
   * threads' start-up is not extrapolated); undefined until two have finished.
   */
  etaMs: number | undefined;
  elapsedMs: number;
}

/**
 * Input bytes being analysed at once at most (default 256 MiB; one larger file still runs alone):
 * a thread holds each recording's bytes and its decoded audio, so long recordings are taken fewer
 * at a time than short calls.
 */
export const DEFAULT_MAX_IN_FLIGHT_BYTES = 256 * 1024 * 1024;

export interface BatchOptions extends RecordingContext {
  maxInFlightBytes?: number;
  /** Largest recording read (core/audio/file.ts; default its MAX_AUDIO_FILE_BYTES): a larger one fails. */
  maxFileBytes?: number;
  /** A recording whose header lies about a size (read all the same): every oddity of it at once. */
  onWarnings?: (file: string, warnings: string[]) => void;
  metadata?: MetadataIndex;
  pattern?: FileNamePattern;
  tenantId?: string;
  onReport?: (report: RecordingReport) => void;
  onProgress?: (progress: BatchProgress) => void;
}

/** Analyses `files`, about pool.capacity at a time; resolves with their reports in file order. */
export async function analyzeFiles(
  files: readonly string[],
  options: BatchOptions,
): Promise<RecordingReport[]> {
  const started = performance.now();
  const sizes = await Promise.all(
    files.map((f) =>
      stat(f).then(
        (s) => s.size,
        () => 0,
      ),
    ),
  );
  const totalBytes = sizes.reduce((a, b) => a + b, 0) || 1;
  const reports: RecordingReport[] = new Array(files.length);
  const inFlightAudio = new Map<number, number>();
  let doneAudioMs = 0;
  let doneBytes = 0;
  let filesDone = 0;
  let first: { atMs: number; bytes: number } | undefined;
  const progress = () => {
    const now = performance.now();
    const rate = first && filesDone >= 2 ? (doneBytes - first.bytes) / (now - first.atMs) : 0;
    options.onProgress?.({
      filesDone,
      filesTotal: files.length,
      audioMs: doneAudioMs + [...inFlightAudio.values()].reduce((a, b) => a + b, 0),
      etaMs: rate > 0 ? (totalBytes - doneBytes) / rate : undefined,
      elapsedMs: now - started,
    });
  };
  const maxBytes = options.maxInFlightBytes ?? DEFAULT_MAX_IN_FLIGHT_BYTES;
  let inFlightBytes = 0;
  const waiting: (() => void)[] = [];
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      const file = files[i]!;
      while (inFlightBytes > 0 && inFlightBytes + sizes[i]! > maxBytes)
        await new Promise<void>((resolve) => waiting.push(resolve));
      inFlightBytes += sizes[i]!;
      let report: RecordingReport;
      try {
        const warnings: string[] = [];
        const [bytes, info] = await Promise.all([
          readAudioFile(file, {
            ...(options.maxFileBytes ? { maxBytes: options.maxFileBytes } : {}),
            onWarning: (m) => warnings.push(m),
          }),
          stat(file),
        ]);
        if (warnings.length > 0) options.onWarnings?.(file, warnings);
        let given: GivenMeta = options.metadata?.lookup(file) ?? {};
        if (options.pattern && !options.metadata?.lookup(file)) given = options.pattern.match(file);
        report = await processRecording(
          {
            file,
            bytes,
            given,
            modifiedAtMs: info.mtimeMs,
            ...(options.tenantId !== undefined ? { tenantId: options.tenantId } : {}),
            onProgress: (ms) => {
              inFlightAudio.set(i, ms);
              progress();
            },
          },
          options,
        );
      } catch (err) {
        report = otherReport(file, 'failed', oneLine(err));
      }
      inFlightAudio.delete(i);
      inFlightBytes -= sizes[i]!;
      for (const wake of waiting.splice(0)) wake();
      doneAudioMs += (report.durationS ?? 0) * 1000;
      doneBytes += sizes[i]!;
      filesDone++;
      first ??= { atMs: performance.now(), bytes: doneBytes };
      reports[i] = report;
      options.onReport?.(report);
      progress();
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.pool.capacity, files.length) }, worker));
  return reports;
}
