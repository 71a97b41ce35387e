// Test support for the ingress: a scoring backend that records what reaches it, a port that
// records what a session sends and how it ended, and a context wiring them to a real call
// registry, event hub and metrics, so adapter tests drive the real session end to end.
import pino from 'pino';
import { Registry } from 'prom-client';
import { concat } from '../../../../core/audio/samples.ts';
import type { CallMeta } from '../../../../core/calls/meta.ts';
import { EMOTIONS } from '../../../../core/emotions.ts';
import {
  type EmotionProbs,
  EVENT_SCHEMA_VERSION,
  type SpeakerRole,
  type VoicePulseEvent,
} from '../../../../core/events/schema.ts';
import { DEFAULT_STREAMING } from '../../../../core/streaming/config.ts';
import type { TenantPolicies } from '../../../../core/tenancy/policy.ts';
import type { ScoringBackend } from '../../scoring/backend.ts';
import { DEFAULT_MAX_BATCH } from '../../scoring/engine.ts';
import { CallRegistry } from '../calls.ts';
import { ConnectionLimiter } from '../connections.ts';
import { AudioHookSessions } from '../continuations.ts';
import type { IngressError } from '../errors.ts';
import { EventHub } from '../hub.ts';
import { LiveMetrics } from '../metrics.ts';
import type { OutboxPort } from '../outbox.ts';
import {
  DEFAULT_LIMITS,
  type GatewayLimits,
  type IngressContext,
  type Outgoing,
  type SessionPort,
} from '../session.ts';

export class RecordingBackend implements ScoringBackend {
  failure: string | null = null;
  readonly layout = { config: DEFAULT_STREAMING, threads: 1, scoringCores: 1, maxBatch: DEFAULT_MAX_BATCH };
  readonly started: CallMeta[] = [];
  /** Call ids, in the order their calls ended. */
  readonly ended: string[] = [];
  /** Each call instance started, by number. */
  readonly instances = new Map<number, CallMeta>();
  private readonly chunks = new Map<string, Float32Array[]>();
  private readonly gaps = new Map<string, number>();

  startCall(instance: number, meta: CallMeta): void {
    this.started.push(meta);
    this.instances.set(instance, meta);
  }
  pushAudio(instance: number, speaker: SpeakerRole, samples: Float32Array): void {
    this.record(instance, speaker, samples);
  }
  /** A gap is timeline: zeros in `samples()`, and counted in `gapSamples()`. */
  gap(instance: number, speaker: SpeakerRole, samples: number): void {
    const key = this.record(instance, speaker, new Float32Array(samples));
    this.gaps.set(key, (this.gaps.get(key) ?? 0) + samples);
  }
  /** Appends in place (the ingress bench sends thousands of chunks a call); returns the speaker's key. */
  private record(instance: number, speaker: SpeakerRole, samples: Float32Array): string {
    const key = `${this.instances.get(instance)!.callId}/${speaker}`;
    const parts = this.chunks.get(key);
    if (parts) parts.push(samples);
    else this.chunks.set(key, [samples]);
    return key;
  }
  /** Samples of gap one speaker of a call received. */
  gapSamples(callId: string, speaker: SpeakerRole): number {
    return this.gaps.get(`${callId}/${speaker}`) ?? 0;
  }
  endCall(instance: number): void {
    this.ended.push(this.instances.get(instance)!.callId);
  }
  /** The number of the latest call instance of `tenantId` named `callId`. */
  instanceOf(callId: string, tenantId = 'acme'): number {
    const found = [...this.instances].filter(([, m]) => m.callId === callId && m.tenantId === tenantId);
    if (found.length === 0) throw new Error(`no call ${tenantId}/${callId} started`);
    return found.at(-1)![0];
  }
  /** Everything one speaker of a call (every instance of its id) received, in order. */
  samples(callId: string, speaker: SpeakerRole): Float32Array {
    return concat(...(this.chunks.get(`${callId}/${speaker}`) ?? []));
  }
  async settle(): Promise<void> {}
  async close(): Promise<void> {}
}

/** A transport that records; `saturated` and `open` are the test's to set. */
export class RecordingPort implements SessionPort {
  readonly sent: Outgoing[] = [];
  open = true;
  saturated = false;
  private retry: (() => void) | undefined;
  ended: string | undefined;
  failed: { err: IngressError; last: Outgoing | undefined } | undefined;

  readonly out: OutboxPort<Outgoing> = {
    write: (m) => {
      this.sent.push(m);
    },
    saturated: () => this.saturated,
    onWritable: (retry) => {
      this.retry = retry;
    },
    isOpen: () => this.open,
  };

  end(reason: string): void {
    this.ended = reason;
    this.open = false;
  }
  fail(err: IngressError, last: Outgoing | undefined): void {
    this.failed = { err, last };
    this.open = false;
  }
  /** The transport drained: the outbox may write again. */
  drain(): void {
    this.saturated = false;
    const retry = this.retry;
    this.retry = undefined;
    retry?.();
  }
  /** The text messages sent, parsed. */
  texts(): Array<Record<string, unknown>> {
    return this.sent.flatMap((m) => ('text' in m ? [JSON.parse(m.text) as Record<string, unknown>] : []));
  }
  /** The events sent. */
  events(): VoicePulseEvent[] {
    return this.sent.flatMap((m) => ('event' in m ? [m.event] : []));
  }
}

export const OPERATOR_TOKEN = 'operator-token-0123456789';
export const ACME_TOKEN = 'acme-token-0123456789';

export interface TestIngress {
  ctx: IngressContext;
  backend: RecordingBackend;
  registry: Registry;
  /** The value of a counter of the live metrics for `labels`, 0 when never incremented. */
  count(name: string, labels?: Record<string, string>): Promise<number>;
  /**
   * An event the scoring threads emit, as app.ts hands it on: to watchers, and to its call
   * instance (by default the latest of the event's tenant and call id).
   */
  emit(event: VoicePulseEvent, instance?: number): void;
}

export function testIngress(limits: Partial<GatewayLimits> = {}, policies: TenantPolicies = {}): TestIngress {
  const backend = new RecordingBackend();
  const registry = new Registry();
  const metrics = new LiveMetrics(registry);
  // Admission by load is tested on its own (capacity.test.ts, calls.test.ts).
  const full = { ...DEFAULT_LIMITS, maxScoringLoad: 0, ...limits };
  const ctx: IngressContext = {
    calls: new CallRegistry(backend, policies, full, metrics),
    hub: new EventHub(),
    auth: { operatorToken: OPERATOR_TOKEN, tenantTokens: { acme: ACME_TOKEN } },
    limits: full,
    log: pino({ level: 'silent' }),
    connections: new ConnectionLimiter(full),
    audiohook: new AudioHookSessions(),
    metrics,
  };
  return {
    ctx,
    backend,
    registry,
    async count(name, labels = {}) {
      const metric = registry.getSingleMetric(name);
      const values = (await metric?.get())?.values ?? [];
      const match = values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
      return match?.value ?? 0;
    },
    emit(event, instance = backend.instanceOf(event.callId, event.tenantId)) {
      ctx.hub.publish(event);
      ctx.calls.emitted(instance, event);
    },
  };
}

/** A valid event of `callId` for echo and watch tests. */
export function fakeEvent(
  callId: string,
  type: Exclude<VoicePulseEvent['type'], 'alert_ack'>,
  over: { tenantId?: string; agentId?: string | null } = {},
): VoicePulseEvent {
  const envelope = {
    schemaVersion: EVENT_SCHEMA_VERSION,
    eventId: `${callId}:${type}`,
    tenantId: over.tenantId ?? 'acme',
    callId,
    agentId: over.agentId ?? null,
    queue: null,
    producedAtMs: 1,
  };
  if (type === 'score')
    return {
      ...envelope,
      type,
      speaker: 'customer',
      windowStartMs: 0,
      windowEndMs: 2000,
      probs: Object.fromEntries(EMOTIONS.map((e) => [e, 1 / EMOTIONS.length])) as EmotionProbs,
      valence: 0,
      arousal: 0.5,
      frustration: 0.1,
      speechRatio: 1,
      modelVersion: 'test',
    };
  if (type === 'alert')
    return {
      ...envelope,
      type,
      rule: 'customer_frustration_sustained',
      speaker: 'customer',
      severity: 'warning',
      atMs: 5000,
      value: 0.5,
      threshold: 0.4,
      message: 'customer frustration 0.50 ≥ 0.4 for 5 s',
    };
  const talk = { talkMs: 0, silenceMs: 0 };
  return {
    ...envelope,
    type,
    startedAtMs: 1,
    endedAtMs: 2,
    durationMs: 0,
    overtalkMs: 0,
    customer: { talk, emotion: null },
    agent: { talk, emotion: null },
    alerts: 0,
    modelVersion: 'test',
  };
}
