// The calls the ingress has open, whatever their protocol: admission, the tenant's policy, and
// audio handed to the scoring backend with its arrival time. A refusal is an IngressError with a
// RefusalCode, checked in this order, so the cheapest and most telling reason wins:
//   TENANT_FORBIDDEN     the principal may not stream this tenant
//   SCORING_UNAVAILABLE  the scoring threads failed to start
//   DRAINING             the process is shutting down (drain()): another pod takes the call
//   DUPLICATE_CALL       this call id is streaming
//   CALL_ENDING          this call id has ended but its summary is not out yet: retry after it
//   TENANT_CALL_LIMIT    the tenant's policy allows no more concurrent calls
//   CALL_LIMIT           the process allows no more concurrent calls
//   OVERLOADED           scoring lags more than maxScoringLagMs: admitted calls keep their latency
// Call instances: events carry the call id, and the scoring threads key a call by it, so an id
// stays taken from its start until its summary has been emitted (or ENDING_TIMEOUT_MS after its
// end, should the summary never come): two instances of one id never coexist, and a new start of
// an id still ending is refused with CALL_ENDING instead of receiving the old instance's events.
import { mayAccessTenant, type Principal } from '../../../core/auth/tokens.ts';
import type { CallMeta } from '../../../core/calls/meta.ts';
import type { SpeakerRole, VoicePulseEvent } from '../../../core/events/schema.ts';
import { policyFor, type TenantPolicies } from '../../../core/tenancy/policy.ts';
import type { ScoringBackend } from '../scoring/backend.ts';
import { IngressError, type RefusalCode } from './errors.ts';
import { ScoringLag } from './lag.ts';
import type { LiveMetrics } from './metrics.ts';

export interface OpenCall {
  readonly meta: CallMeta;
  /** One speaker's audio at 8 kHz; ignored once the call has ended. */
  audio(speaker: SpeakerRole, samples: Float32Array): void;
  /** Ends the call (idempotent): the scoring backend emits its last windows and the summary. */
  end(): void;
}

/** Epoch milliseconds with sub-millisecond precision, comparable across threads. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

/** How long an ended call's id stays taken when its summary never comes (scoring threads lost). */
export const ENDING_TIMEOUT_MS = 60_000;

export interface AdmissionLimits {
  /** Calls open at once in this process. */
  maxConcurrentCalls: number;
  /** Scoring lag (ms, ScoringLag) past which new calls are refused; 0 = never. */
  maxScoringLagMs: number;
}

interface Instance {
  meta: CallMeta;
  ended: boolean;
  release?: NodeJS.Timeout;
}

const refuse = (code: RefusalCode, message: string) => new IngressError(code, message);

export class CallRegistry {
  /** By call id: every instance from its start until its summary. */
  private readonly instances = new Map<string, Instance>();
  private readonly tenantOpen = new Map<string, number>();
  private streaming = 0;
  private draining = false;
  readonly lag = new ScoringLag();

  constructor(
    private readonly backend: ScoringBackend,
    private readonly policies: TenantPolicies,
    private readonly limits: AdmissionLimits,
    private readonly sampleRate: number,
    private readonly metrics?: LiveMetrics,
  ) {
    metrics?.readLagFrom(() => this.lag.current(preciseNow()) / 1000);
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
    const previous = this.instances.get(callId);
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
    const lagMs = this.lag.current(preciseNow());
    if (this.limits.maxScoringLagMs > 0 && lagMs > this.limits.maxScoringLagMs)
      throw refuse(
        'OVERLOADED',
        `scoring lags ${Math.round(lagMs)} ms (bound ${this.limits.maxScoringLagMs} ms): try again later`,
      );

    const instance: Instance = { meta, ended: false };
    this.instances.set(callId, instance);
    this.tenantOpen.set(tenantId, ofTenant + 1);
    this.streaming++;
    this.metrics?.activeCalls.set(this.streaming);
    this.backend.startCall(meta, policy, offsetMs);
    return {
      meta,
      audio: (speaker, samples) => {
        if (instance.ended || samples.length === 0) return;
        this.metrics?.audioSeconds.inc({ protocol }, samples.length / this.sampleRate);
        this.backend.pushAudio(callId, speaker, samples, preciseNow());
      },
      end: () => {
        if (instance.ended) return;
        instance.ended = true;
        const left = (this.tenantOpen.get(tenantId) ?? 1) - 1;
        if (left > 0) this.tenantOpen.set(tenantId, left);
        else this.tenantOpen.delete(tenantId);
        this.streaming--;
        this.metrics?.activeCalls.set(this.streaming);
        instance.release = setTimeout(() => this.release(instance), ENDING_TIMEOUT_MS).unref();
        this.backend.endCall(callId, preciseNow());
      },
    };
  }

  /** Every event the scoring threads emit: a call's summary frees its id. */
  emitted(event: VoicePulseEvent): void {
    if (event.type !== 'call_summary') return;
    const instance = this.instances.get(event.callId);
    if (instance?.ended) this.release(instance);
  }

  /** One scored window's latency (ms): the lag admission control reads. */
  windowScored(latencyMs: number): void {
    this.lag.observe(latencyMs, preciseNow());
  }

  /** Scoring fell so far behind that windows were dropped unscored. */
  windowsDropped(): void {
    this.lag.dropped(preciseNow());
  }

  private release(instance: Instance): void {
    clearTimeout(instance.release);
    if (this.instances.get(instance.meta.callId) === instance) this.instances.delete(instance.meta.callId);
  }
}
