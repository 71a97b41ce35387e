// The calls this pod holds, for its heartbeats: a call is held from the moment the scoring backend
// starts it until its summary is out (until then the pod answers for it; after, there is nothing
// left to end). A wrapper of the scoring backend, so admission needs no extra step.
import type { CallMeta } from '../../../core/calls/meta.ts';
import type { ScoringBackend } from '../scoring/backend.ts';
import type { CallLease } from './presence.ts';

export class HeldCalls {
  /** By call instance (the registry's number): two calls with one id are two leases. */
  private readonly held = new Map<number, CallLease>();

  constructor(private readonly now: () => number = Date.now) {}

  /** `backend`, noting each call it starts. */
  track(backend: ScoringBackend): ScoringBackend {
    const start = (instance: number, meta: CallMeta) =>
      this.held.set(instance, { meta, startedAtMs: this.now() });
    return {
      layout: backend.layout,
      startCall: (...args) => {
        backend.startCall(...args);
        start(args[0], args[1]);
      },
      pushAudio: (...args) => backend.pushAudio(...args),
      gap: (...args) => backend.gap(...args),
      endCall: (...args) => backend.endCall(...args),
      get failure() {
        return backend.failure;
      },
      settle: (timeoutMs) => backend.settle(timeoutMs),
      close: () => backend.close(),
    };
  }

  /** The call instance's summary is out. */
  release(instance: number): void {
    this.held.delete(instance);
  }

  /** Calls started and not yet summarised. */
  get size(): number {
    return this.held.size;
  }

  leases(): CallLease[] {
    return [...this.held.values()];
  }
}
