// Analyses recordings on worker threads, one model per thread, several recordings in flight per
// thread (they share model batches). A recording is given to a thread when it is submitted: the one
// with the fewest bytes given and unfinished, where it runs at once or waits beside the thread for a
// free slot; a thread with a free slot and nothing waiting takes what waits beside another. Why:
// recordings on one thread advance together, so equal calls finish in bursts; handing a thread its
// next recording only after a burst left it idle while the caller stored and read (and the first
// thread to finish took every recording left), about a tenth of two threads' time on 20 calls.
// A thread that dies fails its recordings in flight (each reported, the batch goes on) and is
// replaced; those waiting beside it go to the others. With `threads: 0` recordings are analysed on
// the calling thread (tests).
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
import { closeThread } from '../scoring/thread-close.ts';
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
  /** Given to this thread, not started: they start as slots free. */
  queued: Pending[];
  ready: boolean;
}

/** What a thread has been given and not finished: bytes and recordings, in flight and waiting. */
export interface ThreadLoad {
  bytes: number;
  recordings: number;
  waiting: number;
}

/** The thread a new recording goes to: the fewest unfinished bytes, then the fewest recordings. */
export function leastLoaded(loads: readonly ThreadLoad[]): number {
  let best = 0;
  loads.forEach((l, i) => {
    const b = loads[best]!;
    if (l.bytes < b.bytes || (l.bytes === b.bytes && l.recordings < b.recordings)) best = i;
  });
  return best;
}

/** Where thread `self`, with a free slot, takes its next recording from: its own, else the longest wait; -1: none. */
export function takeFrom(self: number, loads: readonly ThreadLoad[]): number {
  if (loads[self]!.waiting > 0) return self;
  let from = -1;
  loads.forEach((l, i) => {
    if (l.waiting > 0 && (from < 0 || l.waiting > loads[from]!.waiting)) from = i;
  });
  return from;
}

function loadOf(t: Thread): ThreadLoad {
  const given = [...t.inFlight.values(), ...t.queued];
  return {
    bytes: given.reduce((n, p) => n + p.job.bytes.length, 0),
    recordings: given.length,
    waiting: t.queued.length,
  };
}

export class AnalysisPool {
  private readonly threads: Thread[] = [];
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

  /**
   * Recordings callers keep submitted: each thread's slots and one waiting beside it, so a thread
   * starts its next recording the moment one finishes.
   */
  get capacity(): number {
    const { threads } = this.options;
    return threads === 0 ? this.concurrency : threads * (this.concurrency + 1);
  }

  analyze(job: AnalysisJob): Promise<AnalysisOutput> {
    if (this.closed) return Promise.reject(new Error('analysis pool closed'));
    if (this.failure) return Promise.reject(new Error(this.failure));
    if (this.options.threads === 0) return this.analyzeHere(job);
    return new Promise((resolve, reject) => this.give({ job, resolve, reject }));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.threads) {
      for (const p of [...t.inFlight.values(), ...t.queued.splice(0)])
        p.reject(new Error('analysis pool closed'));
      t.inFlight.clear();
    }
    await Promise.all(this.threads.map((t) => closeThread(t.worker)));
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

  /** Gives `pending` to the least loaded thread, where it starts at once or waits for a slot. */
  private give(pending: Pending): void {
    const thread = this.threads[leastLoaded(this.threads.map(loadOf))]!;
    thread.queued.push(pending);
    this.start(thread);
  }

  /** Fills the thread's free slots: its own waiting recordings first, then the longest wait elsewhere. */
  private start(thread: Thread): void {
    while (thread.inFlight.size < this.concurrency) {
      const from = takeFrom(this.threads.indexOf(thread), this.threads.map(loadOf));
      if (from < 0) return;
      const pending = this.threads[from]!.queued.shift()!;
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

  /** Ends thread `index` as a crash would (tests). */
  async crash(index: number): Promise<void> {
    await this.threads[index]?.worker.terminate();
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
    const thread: Thread = { worker, inFlight: new Map(), queued: [], ready: false };
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
      this.start(thread);
    });
    worker.on('error', (err) => this.failThread(thread, err.message));
    worker.on('exit', (code) => {
      if (!this.closed) this.failThread(thread, `analysis thread exited (code ${code})`);
    });
    return thread;
  }

  /**
   * Fails the thread's recordings in flight and puts a new thread in its place; those waiting beside
   * it go to the threads left. A thread that failed before it was ready (the model cannot load) is not
   * replaced: with none left, what waited beside it fails with the reason.
   */
  private failThread(thread: Thread, reason: string): void {
    const index = this.threads.indexOf(thread);
    if (index < 0 || this.closed) return;
    for (const p of thread.inFlight.values()) p.reject(new Error(reason));
    thread.inFlight.clear();
    const queued = thread.queued.splice(0);
    void thread.worker.terminate();
    if (!thread.ready) {
      this.failure = `analysis thread failed to start: ${reason}`;
      this.threads.splice(index, 1);
      if (this.threads.length === 0) {
        for (const p of queued) p.reject(new Error(this.failure));
        return;
      }
    } else this.threads[index] = this.spawn();
    for (const p of queued) this.give(p);
  }
}
