// The calls the ingress has open, whatever their protocol: admission, the tenant's policy, and
// audio handed to the scoring backend with its arrival time. A refusal is an IngressError with a
// RefusalCode, checked in this order, so the cheapest and most telling reason wins:
//   TENANT_FORBIDDEN     the principal may not stream this tenant
//   SCORING_UNAVAILABLE  the scoring threads failed to start
//   DRAINING             the process is shutting down (drain()): another pod takes the call
//   DUPLICATE_CALL       this tenant's call id is streaming
//   CALL_ENDING          this tenant's call id has ended but its summary is not out yet: retry after it
//   TENANT_CALL_LIMIT    the tenant's policy allows no more concurrent calls
//   CALL_LIMIT           the process allows no more concurrent calls
//   OVERLOADED           scoring lags more than maxScoringLagMs, or the call would take the admitted
//                        calls' estimated load past maxScoringLoad (capacity.ts): a burst is refused
//                        at once, before the lag can show it, and admitted calls keep their latency
// Call instances: call ids are scoped per tenant, so a call is named by (tenant, call id), and each
// admitted call is an instance with a number of its own. The scoring threads key calls by that
// number and every event comes back with it, so the events of one instance reach only that
// instance's session (OpenCall.listen), however its id is reused: another tenant may start the same
// id at any time. A tenant's own id stays taken from its start until its summary has been emitted
// (or ENDING_TIMEOUT_MS after its end, should the summary never come), so the tenant's watchers,
// which follow call ids, never see two of its calls under one id at once.
import { mayAccessTenant, type Principal } from '../../../core/auth/tokens.ts';
import { type CallMeta, callKey } from '../../../core/calls/meta.ts';
import type { SpeakerRole, VoicePulseEvent } from '../../../core/events/schema.ts';
import { policyFor, type TenantPolicies } from '../../../core/tenancy/policy.ts';
import type { ScoringBackend } from '../scoring/backend.ts';
import { ScoringCapacity } from './capacity.ts';
import { IngressError, type RefusalCode } from './errors.ts';
import { ScoringLag } from './lag.ts';
import type { LiveMetrics } from './metrics.ts';

export interface OpenCall {
  readonly meta: CallMeta;
  /**
   * Receives this instance's events, and only them, until its summary (one listener: the session
   * pushing them back to its peer); returns the unsubscribe.
   */
  listen(listener: (event: VoicePulseEvent) => void): () => void;
  /** One speaker's audio at 8 kHz; ignored once the call has ended. */
  audio(speaker: SpeakerRole, samples: Float32Array): void;
  /** `ms` of one speaker's call without audio (held, discarded, lost): timeline reported as hold; ignored once ended. */
  gap(speaker: SpeakerRole, ms: number): void;
  /** Ends the call (idempotent): the scoring backend emits its last windows and the summary. */
  end(): void;
}

/** Epoch milliseconds with sub-millisecond precision, comparable across threads. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

/** How long an ended call's id stays taken by its tenant when its summary never comes (scoring threads lost). */
export const ENDING_TIMEOUT_MS = 60_000;

export interface AdmissionLimits {
  /** Calls open at once in this process. */
  maxConcurrentCalls: number;
  /** Scoring lag (ms, ScoringLag) past which new calls are refused; 0 = never. */
  maxScoringLagMs: number;
  /** Share of the scoring threads' time the admitted calls may claim (ScoringCapacity); 0 = no limit. */
  maxScoringLoad: number;
}

interface Instance {
  number: number;
  meta: CallMeta;
  /** Speakers the model scores (the customer; the agent too where the policy allows). */
  scored: number;
  ended: boolean;
  listener?: ((event: VoicePulseEvent) => void) | undefined;
  release?: NodeJS.Timeout;
}

const refuse = (code: RefusalCode, message: string) => new IngressError(code, message);

export class CallRegistry {
  /** By callKey (tenant, call id): the instance holding the name, from its start until its summary. */
  private readonly names = new Map<string, Instance>();
  /** By number: the same instances, as the scoring threads' events name them. */
  private readonly instances = new Map<number, Instance>();
  private lastInstance = 0;
  private readonly tenantOpen = new Map<string, number>();
  private streaming = 0;
  /** Scored speakers of the calls streaming now: what they claim of the scoring threads. */
  private scoredSpeakers = 0;
  private draining = false;
  private readonly sampleRate: number;
  readonly lag = new ScoringLag();
  readonly capacity: ScoringCapacity;

  constructor(
    private readonly backend: ScoringBackend,
    private readonly policies: TenantPolicies,
    private readonly limits: AdmissionLimits,
    private readonly metrics?: LiveMetrics,
    /** When audio arrives and lag is observed: epoch ms, the scoring threads' clock (tests inject theirs). */
    private readonly now: () => number = preciseNow,
  ) {
    const { config, scoringCores, maxBatch } = backend.layout;
    this.sampleRate = config.sampleRate;
    this.capacity = new ScoringCapacity({
      cores: scoringCores,
      maxBatch,
      hopMs: config.hopMs,
      maxLoad: limits.maxScoringLoad,
    });
    metrics?.readLagFrom(() => this.lag.current(this.now()) / 1000);
    metrics?.readLoadFrom(() => this.capacity.load(this.scoredSpeakers));
  }

  /** Calls streaming now (started, not ended). */
  get size(): number {
    return this.streaming;
  }

  /** Whether new calls can be admitted at all (scoring up, not draining): gRPC health says SERVING. */
  get serving(): boolean {
    return !this.draining && !this.backend.failure;
  }

  /** Refuses new calls from now on (DRAINING); calls already open go on. */
  drain(): void {
    this.draining = true;
  }

  /**
   * Opens a call for `principal`, or throws the IngressError that refuses it. `offsetMs`: the call
   * goes on here from that point of its timeline (continued from another pod).
   */
  admit(meta: CallMeta, protocol: string, principal: Principal, offsetMs = 0): OpenCall {
    const { tenantId, callId } = meta;
    if (!mayAccessTenant(principal, tenantId))
      throw refuse('TENANT_FORBIDDEN', `this token may not stream calls of tenant ${tenantId}`);
    if (this.backend.failure)
      throw refuse('SCORING_UNAVAILABLE', `scoring is unavailable: ${this.backend.failure}`);
    if (this.draining)
      throw refuse('DRAINING', 'this server is shutting down: connect again to reach another');
    const name = callKey(meta);
    const previous = this.names.get(name);
    if (previous && !previous.ended) throw refuse('DUPLICATE_CALL', `call ${callId} is already streaming`);
    if (previous)
      throw refuse('CALL_ENDING', `call ${callId} is still ending; start it again once its summary is out`);
    const policy = policyFor(this.policies, tenantId);
    const ofTenant = this.tenantOpen.get(tenantId) ?? 0;
    if (policy.maxConcurrentCalls !== undefined && ofTenant >= policy.maxConcurrentCalls)
      throw refuse(
        'TENANT_CALL_LIMIT',
        `tenant ${tenantId} may have at most ${policy.maxConcurrentCalls} calls`,
      );
    if (this.streaming >= this.limits.maxConcurrentCalls)
      throw refuse('CALL_LIMIT', `at most ${this.limits.maxConcurrentCalls} concurrent calls`);
    const lagMs = this.lag.current(this.now());
    if (this.limits.maxScoringLagMs > 0 && lagMs > this.limits.maxScoringLagMs)
      throw refuse(
        'OVERLOADED',
        `scoring lags ${Math.round(lagMs)} ms (bound ${this.limits.maxScoringLagMs} ms): try again later`,
      );
    const scored = policy.agentEmotionScoring ? 2 : 1;
    const atCapacity = this.capacity.refusal(this.scoredSpeakers, scored);
    if (atCapacity) throw refuse('OVERLOADED', `${atCapacity}: try again later`);

    const instance: Instance = { number: ++this.lastInstance, meta, scored, ended: false };
    this.names.set(name, instance);
    this.instances.set(instance.number, instance);
    this.tenantOpen.set(tenantId, ofTenant + 1);
    this.streaming++;
    this.scoredSpeakers += scored;
    this.metrics?.activeCalls.set(this.streaming);
    this.backend.startCall(instance.number, meta, policy, offsetMs);
    return {
      meta,
      listen: (listener) => {
        instance.listener = listener;
        return () => {
          if (instance.listener === listener) instance.listener = undefined;
        };
      },
      audio: (speaker, samples) => {
        if (instance.ended || samples.length === 0) return;
        this.metrics?.audioSeconds.inc({ protocol }, samples.length / this.sampleRate);
        this.backend.pushAudio(instance.number, speaker, samples, this.now());
      },
      gap: (speaker, ms) => {
        const samples = Math.round((ms * this.sampleRate) / 1000);
        if (instance.ended || samples === 0) return;
        this.backend.gap(instance.number, speaker, samples, this.now());
      },
      end: () => {
        if (instance.ended) return;
        instance.ended = true;
        const left = (this.tenantOpen.get(tenantId) ?? 1) - 1;
        if (left > 0) this.tenantOpen.set(tenantId, left);
        else this.tenantOpen.delete(tenantId);
        this.streaming--;
        this.scoredSpeakers -= instance.scored;
        this.metrics?.activeCalls.set(this.streaming);
        instance.release = setTimeout(() => this.release(instance), ENDING_TIMEOUT_MS).unref();
        this.backend.endCall(instance.number, this.now());
      },
    };
  }

  /** Every event the scoring threads emit, with its instance: to that instance's listener; a summary frees its name. */
  emitted(number: number, event: VoicePulseEvent): void {
    const instance = this.instances.get(number);
    if (!instance) return;
    instance.listener?.(event);
    if (event.type === 'call_summary' && instance.ended) this.release(instance);
  }

  /** One scored window's latency (ms): the lag admission control reads. */
  windowScored(latencyMs: number): void {
    this.lag.observe(latencyMs, this.now());
  }

  /** A batch the scoring threads scored: what a window costs (admission by load). */
  batchScored(windows: number, busyMs: number): void {
    this.capacity.batch(windows, busyMs);
  }

  /** Scoring fell so far behind that windows were dropped unscored. */
  windowsDropped(): void {
    this.lag.dropped(this.now());
  }

  private release(instance: Instance): void {
    clearTimeout(instance.release);
    instance.listener = undefined;
    this.instances.delete(instance.number);
    const name = callKey(instance.meta);
    if (this.names.get(name) === instance) this.names.delete(name);
  }
}
