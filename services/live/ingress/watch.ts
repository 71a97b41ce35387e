// Watchers, on either transport: /watch?callId=ID or /watch?tenant=T (WebSocket), WatchCall and
// WatchAlerts (gRPC). A watcher receives a call's or a tenant's live events through a bounded
// outbox with the sessions' drop-oldest policy (outbox.ts), so a slow supervisor desktop cannot
// grow server memory, and only events of tenants its principal may see.
import { mayAccessTenant, type Principal } from '../../../core/auth/tokens.ts';
import type { VoicePulseEvent } from '../../../core/events/schema.ts';
import { IngressError } from './errors.ts';
import { Outbox, type OutboxPort } from './outbox.ts';
import type { IngressContext, Outgoing } from './session.ts';

export type WatchTarget = { callId: string } | { tenant: string };

const ID = /^[\w.:@-]{1,128}$/;

/** The target of `/watch?callId=ID` or `/watch?tenant=T`: exactly one, a plain id. */
export function watchTargetOf(query: URLSearchParams): WatchTarget {
  const callId = query.get('callId');
  const tenant = query.get('tenant');
  if ((callId === null) === (tenant === null) || !ID.test(callId ?? tenant ?? ''))
    throw new IngressError('BAD_WATCH_TARGET', 'give exactly one of callId or tenant');
  return callId !== null ? { callId } : { tenant: tenant! };
}

/**
 * Subscribes `out` to the target's events that pass `filter`; returns the unsubscribe. Throws
 * TENANT_FORBIDDEN for a tenant the principal may not watch; a call of another tenant simply
 * shows nothing.
 */
export function watch(
  ctx: IngressContext,
  out: OutboxPort<Outgoing>,
  principal: Principal,
  target: WatchTarget,
  filter: (e: VoicePulseEvent) => boolean = () => true,
): () => void {
  if ('tenant' in target && !mayAccessTenant(principal, target.tenant))
    throw new IngressError('TENANT_FORBIDDEN', `this token may not watch tenant ${target.tenant}`);
  const outbox = new Outbox(out, {
    maxQueued: ctx.limits.maxQueuedMessages,
    onDrop: () => ctx.metrics?.watcherDropped.inc(),
  });
  const sink = {
    send: (json: string, event: VoicePulseEvent) => {
      if (mayAccessTenant(principal, event.tenantId) && filter(event)) outbox.send({ json, event });
    },
  };
  return 'callId' in target
    ? (ctx.watchHub ?? ctx.hub).subscribeCall(target.callId, sink)
    : (ctx.watchHub ?? ctx.hub).subscribeTenant(target.tenant, sink);
}
