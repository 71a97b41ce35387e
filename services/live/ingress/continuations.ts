// AudioHook's process-wide state, shared by its sessions (audiohook.ts): the signature nonces seen
// (core/auth/audiohook.ts refuses a replay), and the calls of sessions that dropped or closed for a
// reconnect, kept RECONNECT_GRACE_MS for a session whose `open` names them in `continuedSessions`.
// A streaming session registers a hand-over, so a continuing session can also take over a call whose
// old socket is still open.
import { NonceCache } from '../../../core/auth/audiohook.ts';
import type { OpenCall } from './calls.ts';
import type { MediaFormat } from './start.ts';

/** How long the call of a dropped (or reconnecting) session waits for a session that continues it. */
export const RECONNECT_GRACE_MS = 10_000;

/** A session's call, handed from a dropped session to the one continuing it. */
export interface Continuation {
  call: OpenCall;
  media: MediaFormat;
}

/** Process-wide AudioHook state: signature nonces seen, and calls waiting for a continuing session. */
export class AudioHookSessions {
  readonly nonces = new NonceCache();
  /** Sessions streaming a call, by session id: a continuing session takes their call over. */
  private readonly live = new Map<string, () => Continuation | undefined>();
  private readonly parked = new Map<string, { continuation: Continuation; timer: NodeJS.Timeout }>();
  private closing = false;

  /** Registers a streaming session; returns its unregister. */
  track(sessionId: string, handOver: () => Continuation | undefined): () => void {
    this.live.set(sessionId, handOver);
    return () => {
      if (this.live.get(sessionId) === handOver) this.live.delete(sessionId);
    };
  }

  /** Keeps a dropped session's call for RECONNECT_GRACE_MS; ended if nobody continues it. */
  park(sessionId: string, continuation: Continuation): void {
    if (this.closing) {
      continuation.call.end();
      return;
    }
    const timer = setTimeout(() => {
      this.parked.delete(sessionId);
      continuation.call.end();
    }, RECONNECT_GRACE_MS).unref();
    this.parked.set(sessionId, { continuation, timer });
  }

  /** The server is shutting down: parked calls end now (their summaries go out), none are parked again. */
  close(): void {
    this.closing = true;
    for (const { continuation, timer } of this.parked.values()) {
      clearTimeout(timer);
      continuation.call.end();
    }
    this.parked.clear();
  }

  /** The call of one of `sessionIds` (streaming or parked) of `conversationId`, taken over. */
  claim(sessionIds: readonly string[], conversationId: string): Continuation | undefined {
    for (const id of sessionIds) {
      const parked = this.parked.get(id);
      if (parked?.continuation.call.meta.callId === conversationId) {
        clearTimeout(parked.timer);
        this.parked.delete(id);
        return parked.continuation;
      }
      const live = this.live.get(id);
      const taken = live?.();
      if (taken && taken.call.meta.callId === conversationId) {
        this.live.delete(id);
        return taken;
      }
      // Another conversation's session: not ours to take (already handed over: end it as it was).
      taken?.call.end();
    }
    return undefined;
  }
}
