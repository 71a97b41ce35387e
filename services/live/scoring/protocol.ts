// Messages between the worker pool (main thread) and its scoring threads.

import type { CallMeta } from '../../../core/calls/meta.ts';
import type { SpeakerRole } from '../../../core/events/schema.ts';
import type { RuntimeChoice } from '../../../core/model/runtime.ts';
import type { StreamingConfig } from '../../../core/streaming/config.ts';
import type { TenantPolicy } from '../../../core/tenancy/policy.ts';
import type { EngineOutput } from './engine.ts';
import type { CloseRequest } from './thread-close.ts';

/** Calls are named by their instance (the engine's and the call registry's number), never by call id alone. */
export type ThreadCommand =
  | {
      t: 'start';
      instance: number;
      meta: CallMeta;
      policy: TenantPolicy;
      offsetsMs?: Record<SpeakerRole, number>;
    }
  /** Samples [offset, offset + length) of the batch's `samples`. */
  | {
      t: 'audio';
      instance: number;
      speaker: SpeakerRole;
      offset: number;
      length: number;
      arrivedAtMs: number;
    }
  /** A span without audio: timeline, never audio carried across. */
  | { t: 'gap'; instance: number; speaker: SpeakerRole; samples: number; arrivedAtMs: number }
  | { t: 'end'; instance: number; arrivedAtMs: number };

/**
 * Everything for one thread since the last flush, in order, with all audio packed into one
 * transferred buffer: one message every few ms instead of one per 20 ms chunk per call.
 */
export interface ToThread {
  commands: ThreadCommand[];
  samples: Float32Array;
}

/** What a scoring thread reads: batches, and at the end the request to release the model and end. */
export type ToScoringThread = ToThread | CloseRequest;

export type FromThread =
  /** The thread loaded its model; `model` names it and the runtime running it (describeModel). */
  | { t: 'ready'; model: string }
  | { t: 'events'; out: EngineOutput[] }
  | { t: 'error'; instance: number; message: string }
  | { t: 'dropped'; callId: string; windows: number }
  /** A batch scored: its windows, the time it took (ms), whether its explanations were skipped to catch up. */
  | { t: 'batch'; windows: number; busyMs: number; unexplained: boolean };

export interface ThreadData {
  modelDir: string;
  runtime: RuntimeChoice;
  explain: boolean;
  /** The live windowing, the model's window included (createBackend resolved it). */
  config: StreamingConfig;
  maxBatch: number;
}
