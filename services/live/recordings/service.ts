// The upload side of `voicepulse serve`: the job queue (jobs.ts) over its spool folder, one
// analysis thread of its own (uploads never take the live scoring threads), the idempotent store
// the server's analytics use, the REST handler (http.ts) to mount before the query API and the
// gRPC service (grpc.ts).
import type { Logger } from 'pino';
import type { AuthConfig } from '../../../core/auth/tokens.ts';
import { ConfigError } from '../../../core/config/env.ts';
import type { RuntimeChoice } from '../../../core/model/runtime.ts';
import type { RecordingStore } from '../../../core/recordings/store.ts';
import type { StreamingSettings } from '../../../core/streaming/config.ts';
import type { TenantPolicies } from '../../../core/tenancy/policy.ts';
import type { QueryRateLimiter } from '../query/ratelimit.ts';
import { processRecording } from './batch.ts';
import { recordingsGrpcImplementation, recordingsService } from './grpc.ts';
import { createRecordingsApi } from './http.ts';
import { JobQueue } from './jobs.ts';
import { AnalysisPool } from './pool.ts';

export interface RecordingsServiceOptions {
  /** The spool folder (VOICEPULSE_RECORDINGS_DIR), shared by the live pods. */
  spoolDir: string;
  /** This process's name in it (the pod id). */
  owner: string;
  store: RecordingStore;
  modelDir: string;
  runtime: RuntimeChoice;
  /** Explain every full-length scored window (core/model/explain.ts). */
  explain: boolean;
  streaming: StreamingSettings;
  policies: TenantPolicies;
  auth: AuthConfig;
  /** The query API's limiter (shared budget). */
  limiter: QueryRateLimiter;
  /** Uploads analysed at once (default 2, on one thread, sharing its model batches). */
  concurrency?: number;
  maxBytes?: number;
  log: Logger;
}

export function startRecordings(o: RecordingsServiceOptions) {
  const concurrency = o.concurrency ?? 2;
  const pool = new AnalysisPool({
    modelDir: o.modelDir,
    runtime: o.runtime,
    explain: o.explain,
    config: o.streaming,
    threads: 1,
    concurrency,
  });
  const queue = new JobQueue({
    dir: o.spoolDir,
    owner: o.owner,
    concurrency,
    process: (input, roles) => processRecording(input, { pool, store: o.store, policies: o.policies, roles }),
    onError: (err) => o.log.warn({ err }, 'recording job error'),
  });
  try {
    queue.start();
  } catch (err) {
    void pool.close();
    throw new ConfigError(
      'INVALID_SETTING',
      `VOICEPULSE_RECORDINGS_DIR ${o.spoolDir} cannot hold the recordings spool: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const apiOptions = {
    queue,
    auth: o.auth,
    limiter: o.limiter,
    ...(o.maxBytes ? { maxBytes: o.maxBytes } : {}),
  };
  return {
    /** REST: mount before the query API. */
    handle: createRecordingsApi(apiOptions).handle,
    /** gRPC: add to the gateway's gRPC server, next to the query service. */
    grpc: { service: recordingsService().service, implementation: recordingsGrpcImplementation(apiOptions) },
    queue,
    /** Stops taking jobs; running ones finish (or run again after the next start). */
    async close(): Promise<void> {
      await queue.close();
      await pool.close();
    },
  };
}
