// Analyses recordings on worker threads, one model per thread, several recordings in flight per
// thread (they share model batches). A recording goes to the thread with the fewest in flight; more
// wait here. A thread that dies fails its recordings (each reported, the batch goes on) and is
// replaced. With `threads: 0` recordings are analysed on the calling thread (tests).
import { Worker } from 'node:worker_threads';
import type { SpeakerRole, VoicePulseEvent } from '../../../core/events/schema.ts';
import type { RuntimeChoice } from '../../../core/model/runtime.ts';
import type { RecordingMeta } from '../../../core/recordings/metadata.ts';
import type { RoleOptions } from '../../../core/recordings/roles.ts';
import {
  modelStreaming,
  type StreamingConfig,
  type StreamingSettings,
  streamingConfigSchema,
} from '../../../core/streaming/config.ts';
import type { TenantPolicy } from '../../../core/tenancy/policy.ts';
import type { Scorer } from '../scoring/scorer.ts';
import { analyzeRecording } from './analyze.ts';
import { BatchingScorer } from './batching-scorer.ts';
import { openModelScorer } from './model.ts';
import type { AnalysisThreadData, AnalyzeRequest, FromAnalysisThread } from './protocol.ts';

export interface AnalysisPoolOptions {
  modelDir: string;
  /** What runs the network (default auto: the first runtime that loads). */
  runtime?: RuntimeChoice;
  /** Explain every full-length scored window (core/model/explain.ts). Default false. */
  explain?: boolean;
  /** Streaming settings; the window and hop are the model's (an injected scorer: as given here). */
  config: StreamingSettings;
  /** Worker threads (0 = the calling thread). */
  threads: number;
  /** Recordings in flight per thread (default 8). */
  concurrency?: number;
  /** Threads: the scorer to use on the calling thread instead of the model (tests). */
  scorer?: Scorer;
}

export interface AnalysisJob {
  bytes: Uint8Array;
  meta: RecordingMeta;
  policy: TenantPolicy;
  roles: RoleOptions;
  onProgress?: (audioMs: number) => void;
}

export interface AnalysisOutput {
  events: VoicePulseEvent[];
  speakers: SpeakerRole[];
}

interface Pending {
  job: AnalysisJob;
  resolve: (out: AnalysisOutput) => void;
  reject: (err: Error) => void;
}

interface Thread {
  worker: Worker;
  inFlight: Map<number, Pending>;
  ready: boolean;
}

export class AnalysisPool {
  private readonly threads: Thread[] = [];
  private readonly waiting: Pending[] = [];
  private readonly concurrency: number;
  private nextId = 1;
  private local: Promise<{ scorer: Scorer; config: StreamingConfig }> | undefined;
  private closed = false;
  /** Why the threads cannot run (a model or runtime that does not load): every recording fails with it. */
  private failure: string | undefined;
  /** Descriptions of the model as each thread loaded it. */
  readonly models: string[] = [];

  constructor(private readonly options: AnalysisPoolOptions) {
    this.concurrency = options.concurrency ?? 8;
    for (let i = 0; i < options.threads; i++) this.threads.push(this.spawn());
  }

  /** Recordings the pool can work on at once; callers keep about this many submitted. */
  get capacity(): number {
    return Math.max(1, this.options.threads) * this.concurrency;
  }

  analyze(job: AnalysisJob): Promise<AnalysisOutput> {
    if (this.closed) return Promise.reject(new Error('analysis pool closed'));
    if (this.failure) return Promise.reject(new Error(this.failure));
    if (this.options.threads === 0) return this.analyzeHere(job);
    return new Promise((resolve, reject) => {
      this.waiting.push({ job, resolve, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.waiting.splice(0)) p.reject(new Error('analysis pool closed'));
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }

  private async analyzeHere(job: AnalysisJob): Promise<AnalysisOutput> {
    const { scorer, modelDir, runtime, explain, config } = this.options;
    this.local ??= scorer
      ? Promise.resolve({ scorer: new BatchingScorer(scorer), config: streamingConfigSchema.parse(config) })
      : openModelScorer(modelDir, runtime, explain).then((m) => ({
          scorer: new BatchingScorer(m.scorer),
          config: modelStreaming(config, m.window),
        }));
    const local = await this.local;
    const analysis = await analyzeRecording(job.bytes, job.meta, {
      ...job.roles,
      scorer: local.scorer,
      config: local.config,
      policy: job.policy,
      ...(job.onProgress ? { onProgress: job.onProgress } : {}),
    });
    return { events: analysis.events, speakers: analysis.speakers };
  }

  private dispatch(): void {
    while (this.waiting.length > 0 && this.threads.length > 0) {
      const thread = this.threads.reduce((a, b) => (b.inFlight.size < a.inFlight.size ? b : a));
      if (thread.inFlight.size >= this.concurrency) return;
      const pending = this.waiting.shift()!;
      const id = this.nextId++;
      thread.inFlight.set(id, pending);
      const { job } = pending;
      const request: AnalyzeRequest = {
        t: 'analyze',
        id,
        bytes: job.bytes,
        meta: job.meta,
        policy: job.policy,
        roles: job.roles,
      };
      thread.worker.postMessage(request);
    }
  }

  private spawn(): Thread {
    const data: AnalysisThreadData = {
      entry: new URL('./thread.ts', import.meta.url).href,
      modelDir: this.options.modelDir,
      runtime: this.options.runtime ?? 'auto',
      explain: this.options.explain ?? false,
      config: this.options.config,
      concurrency: this.concurrency,
    };
    const worker = new Worker(new URL('../scoring/thread-boot.mjs', import.meta.url), { workerData: data });
    const thread: Thread = { worker, inFlight: new Map(), ready: false };
    worker.on('message', (m: FromAnalysisThread) => {
      if (m.t === 'ready') {
        thread.ready = true;
        this.models.push(m.model);
        return;
      }
      const pending = thread.inFlight.get(m.id);
      if (!pending) return;
      if (m.t === 'progress') {
        pending.job.onProgress?.(m.audioMs);
        return;
      }
      thread.inFlight.delete(m.id);
      if (m.t === 'done') pending.resolve({ events: m.events, speakers: m.speakers });
      else pending.reject(new Error(m.message));
      this.dispatch();
    });
    worker.on('error', (err) => this.failThread(thread, err.message));
    worker.on('exit', (code) => {
      if (!this.closed) this.failThread(thread, `analysis thread exited (code ${code})`);
    });
    return thread;
  }

  /**
   * Fails the thread's recordings and puts a new thread in its place; a thread that failed before it
   * was ready (the model cannot load) is not replaced: everything waiting fails with the reason.
   */
  private failThread(thread: Thread, reason: string): void {
    const index = this.threads.indexOf(thread);
    if (index < 0 || this.closed) return;
    for (const p of thread.inFlight.values()) p.reject(new Error(reason));
    thread.inFlight.clear();
    void thread.worker.terminate();
    if (!thread.ready) {
      this.failure = `analysis thread failed to start: ${reason}`;
      this.threads.splice(index, 1);
      if (this.threads.length === 0)
        for (const p of this.waiting.splice(0)) p.reject(new Error(this.failure));
      return;
    }
    this.threads[index] = this.spawn();
    this.dispatch();
  }
}
