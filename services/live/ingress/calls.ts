// The calls the ingress has open, whatever their protocol: admission (who may stream which tenant,
// scoring available, no duplicate id, the concurrency limit), the tenant's policy, and audio handed
// to the scoring backend with its arrival time. A refusal is an IngressError with a RefusalCode,
// checked in that order, so the cheapest and most telling reason wins.
import { mayAccessTenant, type Principal } from '../../../core/auth/tokens.ts';
import type { CallMeta } from '../../../core/calls/meta.ts';
import type { SpeakerRole } from '../../../core/events/schema.ts';
import { policyFor, type TenantPolicies } from '../../../core/tenancy/policy.ts';
import type { ScoringBackend } from '../scoring/backend.ts';
import { IngressError, type RefusalCode } from './errors.ts';
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

const refuse = (code: RefusalCode, message: string) => new IngressError(code, message);

export class CallRegistry {
  private readonly open = new Map<string, CallMeta>();
  private draining = false;

  constructor(
    private readonly backend: ScoringBackend,
    private readonly policies: TenantPolicies,
    private readonly maxCalls: number,
    private readonly sampleRate: number,
    private readonly metrics?: LiveMetrics,
  ) {}

  get size(): number {
    return this.open.size;
  }

  /** Refuses new calls from now on (DRAINING); calls already open go on. */
  drain(): void {
    this.draining = true;
  }

  /** Opens a call for `principal`, or throws the IngressError that refuses it. */
  admit(meta: CallMeta, protocol: string, principal: Principal): OpenCall {
    if (!mayAccessTenant(principal, meta.tenantId))
      throw refuse('TENANT_FORBIDDEN', `this token may not stream calls of tenant ${meta.tenantId}`);
    if (this.backend.failure)
      throw refuse('SCORING_UNAVAILABLE', `scoring is unavailable: ${this.backend.failure}`);
    if (this.draining)
      throw refuse('DRAINING', 'this server is shutting down: connect again to reach another');
    if (this.open.has(meta.callId))
      throw refuse('DUPLICATE_CALL', `call ${meta.callId} is already streaming`);
    if (this.open.size >= this.maxCalls)
      throw refuse('CALL_LIMIT', `at most ${this.maxCalls} concurrent calls`);
    this.open.set(meta.callId, meta);
    this.metrics?.activeCalls.set(this.open.size);
    this.backend.startCall(meta, policyFor(this.policies, meta.tenantId));
    let ended = false;
    return {
      meta,
      audio: (speaker, samples) => {
        if (ended || samples.length === 0) return;
        this.metrics?.audioSeconds.inc({ protocol }, samples.length / this.sampleRate);
        this.backend.pushAudio(meta.callId, speaker, samples, preciseNow());
      },
      end: () => {
        if (ended) return;
        ended = true;
        this.open.delete(meta.callId);
        this.metrics?.activeCalls.set(this.open.size);
        this.backend.endCall(meta.callId, preciseNow());
      },
    };
  }
}
