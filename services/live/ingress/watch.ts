// /watch?callId=ID or /watch?tenant=T: pushes that call's (or tenant's) events as JSON text messages
// through a bounded drop-oldest queue, so a slow supervisor desktop cannot grow server memory.
import type { WebSocket } from 'ws';
import { mayAccessTenant, type Principal } from '../../../core/auth/tokens.ts';
import type { VoicePulseEvent } from '../../../core/events/schema.ts';
import { BoundedSender } from './send-queue.ts';
import { CLOSE, type GatewayContext, ProtocolError, type SessionHandler } from './session.ts';

const ID = /^[\w.:@-]{1,128}$/;

export function watchSession(
  ctx: GatewayContext,
  ws: WebSocket,
  url: URL,
  principal: Principal,
): SessionHandler {
  const callId = url.searchParams.get('callId');
  const tenant = url.searchParams.get('tenant');
  if ((callId === null) === (tenant === null) || !ID.test(callId ?? tenant ?? ''))
    throw new ProtocolError(CLOSE.policy, 'bad-watch-target', 'give exactly one of callId or tenant');
  const out = new BoundedSender(ws, {
    maxQueued: ctx.limits.maxQueuedMessages,
    highWaterBytes: ctx.limits.highWaterBytes,
    onDrop: () => ctx.metrics?.watcherDropped.inc(),
  });
  if (tenant !== null && !mayAccessTenant(principal, tenant))
    throw new ProtocolError(CLOSE.policy, 'tenant-forbidden', `this token may not watch tenant ${tenant}`);
  // A tenant token watching a call id sees that call's events only if the call is its tenant's.
  const sink = {
    send: (message: string, event: VoicePulseEvent) => {
      if (mayAccessTenant(principal, event.tenantId)) out.send(message);
    },
  };
  const unsubscribe = callId ? ctx.hub.subscribeCall(callId, sink) : ctx.hub.subscribeTenant(tenant!, sink);
  return {
    idleTimeout: false,
    onText() {
      // Watchers only listen; anything they send is ignored.
    },
    onBinary() {
      throw new ProtocolError(CLOSE.unsupported, 'binary-not-supported', '/watch accepts no audio');
    },
    onClose() {
      unsubscribe();
    },
  };
}
