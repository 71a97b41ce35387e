// Messages between an analysis pool and its threads (structured clone; audio bytes transferred).
import type { SpeakerRole, VoicePulseEvent } from '../../../core/events/schema.ts';
import type { RuntimeChoice } from '../../../core/model/runtime.ts';
import type { RecordingMeta } from '../../../core/recordings/metadata.ts';
import type { RoleOptions } from '../../../core/recordings/roles.ts';
import type { StreamingSettings } from '../../../core/streaming/config.ts';
import type { TenantPolicy } from '../../../core/tenancy/policy.ts';
import type { CloseRequest } from '../scoring/thread-close.ts';

export interface AnalysisThreadData {
  entry: string;
  modelDir: string;
  runtime: RuntimeChoice;
  explain: boolean;
  /** The streaming settings; the window and hop are the model's. */
  config: StreamingSettings;
  /** Recordings analysed at once on the thread, sharing model batches. */
  concurrency: number;
}

export interface AnalyzeRequest {
  t: 'analyze';
  id: number;
  bytes: Uint8Array;
  meta: RecordingMeta;
  policy: TenantPolicy;
  roles: RoleOptions;
}

export type ToAnalysisThread = AnalyzeRequest | CloseRequest;

export type FromAnalysisThread =
  | { t: 'ready'; model: string }
  | { t: 'progress'; id: number; audioMs: number }
  | { t: 'done'; id: number; events: VoicePulseEvent[]; speakers: SpeakerRole[] }
  | { t: 'failed'; id: number; message: string };
