// Where the gateway sends call audio: a pool of scoring threads sharded by call id, or (threads = 0)
// one engine on the calling thread (tests, the unbatched baseline). Calls are named by their
// instance (the call registry's number), so two calls with one id never meet (engine.ts).
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { CallMeta } from '../../../core/calls/meta.ts';
import type { SpeakerRole } from '../../../core/events/schema.ts';
import { loadModel, readManifest } from '../../../core/model/format.ts';
import { openRunner } from '../../../core/model/runner.ts';
import { checkRuntime, type RuntimeChoice } from '../../../core/model/runtime.ts';
import { streamingWindow } from '../../../core/model/windows.ts';
import { systemClock } from '../../../core/streaming/clock.ts';
import {
  modelStreaming,
  type StreamingConfig,
  type StreamingSettings,
} from '../../../core/streaming/config.ts';
import type { TenantPolicy } from '../../../core/tenancy/policy.ts';
import { DEFAULT_MAX_BATCH, type EngineOptions, type EngineOutput, ScoringEngine } from './engine.ts';
import type { FromThread, ThreadCommand, ThreadData, ToThread } from './protocol.ts';
import { pendingScorer } from './scorer.ts';
import { closeThread } from './thread-close.ts';

/** How a backend scores: the live windowing, its threads and the most windows a thread scores at once. */
export interface ScoringLayout {
  config: StreamingConfig;
  /** Scoring threads; an engine on the calling thread counts as one. */
  threads: number;
  /**
   * Cores the scoring threads can count on: one each, but no more than the machine's cores less one,
   * which the gateway needs (serve runs a thread per core on two cores: the second uses what the
   * gateway leaves idle, not a core of its own). Admission by load charges against these.
   */
  scoringCores: number;
  maxBatch: number;
}

/** ScoringLayout.scoringCores of `threads` threads on a machine of `cores` cores. */
export function scoringCores(threads: number, cores: number = availableParallelism()): number {
  return Math.max(1, Math.min(threads, cores - 1));
}

export interface ScoringBackend {
  readonly layout: ScoringLayout;
  /**
   * `offsetMs`: where on the call's timeline this pod's audio starts (a call continued from another
   * pod, AudioHook `continuedSessions`); windows and the summary's duration count from there.
   */
  startCall(instance: number, meta: CallMeta, policy: TenantPolicy, offsetMs?: number): void;
  pushAudio(instance: number, speaker: SpeakerRole, samples: Float32Array, arrivedAtMs: number): void;
  /** `samples` of one speaker's timeline without audio (held, discarded, lost): reported as hold, not silence. */
  gap(instance: number, speaker: SpeakerRole, samples: number, arrivedAtMs: number): void;
  endCall(instance: number, arrivedAtMs: number): void;
  /** Why no call can be scored (scoring threads that keep failing to start), or null. */
  readonly failure: string | null;
  /** Resolves once every ended call has emitted its summary (or after timeoutMs). */
  settle(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export interface BackendOptions {
  modelDir: string;
  /** What runs the network (core/model/runtime.ts). Default 'auto'. */
  runtime?: RuntimeChoice;
  /** Explain every full-length window (core/model/explain.ts). Default false. */
  explain?: boolean;
  /** Live settings; the window and hop are the model's, and a configured one must equal them. */
  config: StreamingSettings;
  /** Scoring threads; 0 scores on the calling thread. */
  threads: number;
  maxBatch?: number;
  onEvents: (out: EngineOutput[]) => void;
  onError?: (callId: string, message: string) => void;
  /** A scoring thread died and was replaced; its calls lost their in-flight windows and state. */
  onRestart?: (shard: number, calls: number) => void;
  /** How long audio for the scoring threads is gathered before one message carries it (default 5 ms). */
  flushIntervalMs?: number;
  /** Scoring fell behind and a call's oldest waiting windows were dropped. */
  onDropped?: (callId: string, windows: number) => void;
  /**
   * A batch of windows was scored, in busyMs of its thread's time (admission by load); `unexplained`:
   * without the explanations the scorer gives, to catch up (engine.ts explainWithinMs).
   */
  onBatch?: (windows: number, busyMs: number, unexplained: boolean) => void;
  /** A scoring thread (shard 0 inline) loaded its model: `model` names it and its runtime. */
  onReady?: (shard: number, model: string) => void;
  /** Scoring threads failed to start MAX_START_FAILURES times in a row: the pool stopped replacing them. */
  onFailed?: (reason: string) => void;
}

/**
 * Consecutive start-up failures (a thread exiting before it loaded its model) after which a shard
 * is not replaced again: a model or runtime that cannot load would otherwise respawn forever.
 */
export const MAX_START_FAILURES = 3;

/**
 * Checks at start-up what can be checked without loading the network: a named runtime that is not
 * installed (RuntimeError), a model directory whose model.json is unreadable or invalid (ModelError),
 * a configured window other than the model's (StreamingConfigError). The live windows are the model's.
 */
export function createBackend(opts: BackendOptions): ScoringBackend {
  checkRuntime(opts.runtime ?? 'auto');
  const config = modelStreaming(opts.config, streamingWindow(readManifest(opts.modelDir).window));
  if (opts.threads > 0) return new WorkerPool(opts, config);
  // The model loads on this thread before the backend exists: only its runtime can fail later.
  const model = loadModel(opts.modelDir);
  return new InlineBackend({
    scorer: pendingScorer(
      model.version,
      openRunner(model, { runtime: opts.runtime ?? 'auto' }),
      (d) => opts.onReady?.(0, d),
      opts.explain ?? false,
    ),
    config,
    clock: systemClock,
    maxBatch: opts.maxBatch ?? DEFAULT_MAX_BATCH,
    emit: opts.onEvents,
    ...(opts.onDropped ? { onDropped: opts.onDropped } : {}),
    ...(opts.onBatch ? { onBatch: opts.onBatch } : {}),
  });
}

/** One engine on the calling thread, on the engine's own scorer and clock. */
export class InlineBackend implements ScoringBackend {
  readonly engine: ScoringEngine;
  readonly layout: ScoringLayout;
  readonly failure = null;
  constructor(options: EngineOptions & { maxBatch: number }) {
    this.engine = new ScoringEngine(options);
    this.layout = { config: options.config, threads: 1, scoringCores: 1, maxBatch: options.maxBatch };
  }
  startCall(instance: number, meta: CallMeta, policy: TenantPolicy, offsetMs = 0): void {
    const offsetsMs = offsetMs > 0 ? { customer: offsetMs, agent: offsetMs } : undefined;
    this.engine.startCall(instance, meta, policy, offsetsMs);
  }
  pushAudio(instance: number, speaker: SpeakerRole, samples: Float32Array, arrivedAtMs: number): void {
    this.engine.pushAudio(instance, speaker, samples, arrivedAtMs);
  }
  gap(instance: number, speaker: SpeakerRole, samples: number, arrivedAtMs: number): void {
    this.engine.gap(instance, speaker, samples, arrivedAtMs);
  }
  endCall(instance: number, arrivedAtMs: number): void {
    this.engine.endCall(instance, arrivedAtMs);
  }
  settle(): Promise<void> {
    return this.engine.drain();
  }
  close(): Promise<void> {
    return this.engine.drain();
  }
}

/** FNV-1a: a stable, cheap hash so a call always lands on the same thread. */
export function shardOf(callId: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < callId.length; i++) h = Math.imul(h ^ callId.charCodeAt(i), 0x01000193);
  return (h >>> 0) % shards;
}

export class WorkerPool implements ScoringBackend {
  readonly layout: ScoringLayout;
  private readonly workers: Worker[] = [];
  /** By instance. */
  private readonly calls = new Map<
    number,
    { meta: CallMeta; policy: TenantPolicy; shard: number; samples: Record<SpeakerRole, number> }
  >();
  private closing = false;
  /** Per shard: commands and audio waiting for the next flush. */
  private readonly outbox: Array<{ commands: ThreadCommand[]; audio: Float32Array[]; samples: number }> = [];
  private flushScheduled = false;
  restarts = 0;
  failure: string | null = null;
  /** Per shard: the current thread's load state, consecutive start failures and last error. */
  private readonly boot: Array<{ ready: boolean; failures: number; error: string }> = [];

  constructor(
    private readonly opts: BackendOptions,
    /** The live windowing, resolved from the model by createBackend. */
    private readonly config: StreamingConfig,
  ) {
    this.layout = {
      config,
      threads: opts.threads,
      scoringCores: scoringCores(opts.threads),
      maxBatch: opts.maxBatch ?? DEFAULT_MAX_BATCH,
    };
    for (let i = 0; i < opts.threads; i++) {
      this.workers.push(this.spawn(i));
      this.outbox.push({ commands: [], audio: [], samples: 0 });
    }
  }

  startCall(instance: number, meta: CallMeta, policy: TenantPolicy, offsetMs = 0): void {
    const shard = shardOf(meta.callId, this.workers.length);
    // Counted from the offset, so a thread restart resumes the call where it is on its timeline.
    const offset = Math.round((offsetMs * this.config.sampleRate) / 1000);
    this.calls.set(instance, { meta, policy, shard, samples: { customer: offset, agent: offset } });
    const offsetsMs = offsetMs > 0 ? { customer: offsetMs, agent: offsetMs } : undefined;
    this.post(shard, { t: 'start', instance, meta, policy, ...(offsetsMs ? { offsetsMs } : {}) });
  }

  pushAudio(instance: number, speaker: SpeakerRole, samples: Float32Array, arrivedAtMs: number): void {
    const call = this.calls.get(instance);
    if (!call) return;
    call.samples[speaker] += samples.length;
    const box = this.outbox[call.shard]!;
    box.commands.push({
      t: 'audio',
      instance,
      speaker,
      offset: box.samples,
      length: samples.length,
      arrivedAtMs,
    });
    box.audio.push(samples);
    box.samples += samples.length;
    this.scheduleFlush();
  }

  gap(instance: number, speaker: SpeakerRole, samples: number, arrivedAtMs: number): void {
    const call = this.calls.get(instance);
    if (!call) return;
    call.samples[speaker] += samples;
    this.post(call.shard, { t: 'gap', instance, speaker, samples, arrivedAtMs });
  }

  endCall(instance: number, arrivedAtMs: number): void {
    const call = this.calls.get(instance);
    if (call) this.post(call.shard, { t: 'end', instance, arrivedAtMs });
  }

  async settle(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.calls.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  }

  /** Kills a scoring thread as a crash would (tests of the restart path). */
  async crash(shard: number): Promise<void> {
    await this.workers[shard]!.terminate();
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => closeThread(w)));
  }

  private post(shard: number, m: ThreadCommand): void {
    this.outbox[shard]!.commands.push(m);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // Posting to a thread costs far more than the 20 ms chunk it carries: gather for a few ms.
    setTimeout(() => {
      this.flushScheduled = false;
      this.outbox.forEach((box, shard) => {
        if (box.commands.length === 0) return;
        const samples = new Float32Array(box.samples);
        let o = 0;
        for (const a of box.audio) {
          samples.set(a, o);
          o += a.length;
        }
        this.workers[shard]!.postMessage({ commands: box.commands, samples } satisfies ToThread, [
          samples.buffer,
        ]);
        this.outbox[shard] = { commands: [], audio: [], samples: 0 };
      });
    }, this.opts.flushIntervalMs ?? 5);
  }

  private spawn(shard: number): Worker {
    this.boot[shard] ??= { ready: false, failures: 0, error: 'exited' };
    const boot = this.boot[shard];
    boot.ready = false;
    const data: ThreadData & { entry: string } = {
      entry: new URL('./thread.ts', import.meta.url).href,
      modelDir: this.opts.modelDir,
      runtime: this.opts.runtime ?? 'auto',
      explain: this.opts.explain ?? false,
      config: this.config,
      maxBatch: this.layout.maxBatch,
    };
    const w = new Worker(new URL('./thread-boot.mjs', import.meta.url), { workerData: data });
    w.on('message', (m: FromThread) => {
      if (m.t === 'ready') {
        boot.ready = true;
        boot.failures = 0;
        this.opts.onReady?.(shard, m.model);
      } else if (m.t === 'events') {
        for (const o of m.out) if (o.event.type === 'call_summary') this.calls.delete(o.instance);
        this.opts.onEvents(m.out);
      } else if (m.t === 'batch') this.opts.onBatch?.(m.windows, m.busyMs, m.unexplained);
      else if (m.t === 'dropped') this.opts.onDropped?.(m.callId, m.windows);
      else this.opts.onError?.(this.calls.get(m.instance)?.meta.callId ?? '', m.message);
    });
    w.on('error', (err) => {
      boot.error = err.message;
      this.opts.onError?.('', `scoring thread ${shard} failed: ${err.message}`);
    });
    w.on('exit', () => {
      if (this.closing || this.failure) return;
      if (!boot.ready && ++boot.failures >= MAX_START_FAILURES) {
        this.failure = `scoring thread ${shard} failed to start ${boot.failures} times in a row: ${boot.error}`;
        this.opts.onFailed?.(this.failure);
        return;
      }
      // Replace the thread and re-open its calls: they lose only in-flight windows and history.
      this.restarts++;
      this.workers[shard] = this.spawn(shard);
      // What was waiting for the dead thread is in-flight audio: lost with it.
      this.outbox[shard] = { commands: [], audio: [], samples: 0 };
      let n = 0;
      for (const [instance, c] of this.calls)
        if (c.shard === shard) {
          // Resume on the call's timeline (ms of audio sent so far per speaker).
          const rate = this.config.sampleRate;
          const offsetsMs = {
            customer: Math.round((1000 * c.samples.customer) / rate),
            agent: Math.round((1000 * c.samples.agent) / rate),
          };
          this.post(shard, { t: 'start', instance, meta: c.meta, policy: c.policy, offsetsMs });
          n++;
        }
      this.opts.onRestart?.(shard, n);
    });
    return w;
  }
}
