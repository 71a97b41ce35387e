// Messages between the worker pool (main thread) and its scoring threads.
import type { SpeakerRole } from '../../core/events/schema.ts';
import type { StreamingConfig } from '../../core/streaming/config.ts';
import type { CallMeta } from './call.ts';
import type { EngineOutput } from './engine.ts';
import type { TenantPolicy } from './policy.ts';

export type ToThread =
  | { t: 'start'; meta: CallMeta; policy: TenantPolicy; offsetsMs?: Record<SpeakerRole, number> }
  | { t: 'audio'; callId: string; speaker: SpeakerRole; samples: Float32Array; arrivedAtMs: number }
  | { t: 'end'; callId: string; arrivedAtMs: number };

export type FromThread =
  | { t: 'events'; out: EngineOutput[] }
  | { t: 'error'; callId: string; message: string }
  | { t: 'dropped'; callId: string; windows: number };

export interface ThreadData {
  modelDir: string;
  config: StreamingConfig;
  maxBatch: number;
}
