// The calls this pod holds, for its heartbeats: a call is held from the moment the scoring backend
// starts it until its summary is out (until then the pod answers for it; after, there is nothing
// left to end). A wrapper of the scoring backend, so admission needs no extra step.
import type { CallMeta } from '../../../core/calls/meta.ts';
import type { ScoringBackend } from '../scoring/backend.ts';
import type { CallLease } from './presence.ts';

export class HeldCalls {
  private readonly held = new Map<string, CallLease>();

  constructor(private readonly now: () => number = Date.now) {}

  /** `backend`, noting each call it starts. */
  track(backend: ScoringBackend): ScoringBackend {
    const start = (meta: CallMeta) => this.held.set(meta.callId, { meta, startedAtMs: this.now() });
    return {
      startCall: (...args) => {
        backend.startCall(...args);
        start(args[0]);
      },
      pushAudio: (...args) => backend.pushAudio(...args),
      endCall: (...args) => backend.endCall(...args),
      get failure() {
        return backend.failure;
      },
      settle: (timeoutMs) => backend.settle(timeoutMs),
      close: () => backend.close(),
    };
  }

  /** The call's summary is out. */
  release(callId: string): void {
    this.held.delete(callId);
  }

  /** Calls started and not yet summarised. */
  get size(): number {
    return this.held.size;
  }

  leases(): CallLease[] {
    return [...this.held.values()];
  }
}
