// The calls the gateway has open, whatever their protocol: admission (limits, duplicates), tenant
// policy lookup, and audio handed to the scoring backend with its arrival time.

import { mayAccessTenant, type Principal } from '../../../core/auth/tokens.ts';
import type { CallMeta } from '../../../core/calls/meta.ts';
import type { SpeakerRole } from '../../../core/events/schema.ts';
import { policyFor, type TenantPolicies } from '../../../core/tenancy/policy.ts';
import type { ScoringBackend } from '../scoring/backend.ts';
import type { LiveMetrics } from './metrics.ts';

export class CallAdmissionError extends Error {
  constructor(
    readonly reason: 'limit' | 'duplicate' | 'forbidden' | 'unavailable',
    message: string,
  ) {
    super(message);
    this.name = 'CallAdmissionError';
  }
}

export interface OpenCall {
  readonly meta: CallMeta;
  audio(speaker: SpeakerRole, samples: Float32Array): void;
  end(): void;
}

/** Epoch milliseconds with sub-millisecond precision, comparable across threads. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

export class CallRegistry {
  private readonly open = new Map<string, CallMeta>();

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

  /** Opens a call for `principal`, which must be allowed to stream the call's tenant. */
  start(meta: CallMeta, protocol: string, principal: Principal): OpenCall {
    if (!mayAccessTenant(principal, meta.tenantId))
      throw new CallAdmissionError('forbidden', `this token may not stream calls of tenant ${meta.tenantId}`);
    if (this.backend.failure)
      throw new CallAdmissionError('unavailable', `scoring is unavailable: ${this.backend.failure}`);
    if (this.open.has(meta.callId))
      throw new CallAdmissionError('duplicate', `call ${meta.callId} is already streaming`);
    if (this.open.size >= this.maxCalls)
      throw new CallAdmissionError('limit', `at most ${this.maxCalls} concurrent calls`);
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
