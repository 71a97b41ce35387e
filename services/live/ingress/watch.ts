// Watchers, on either transport: /watch?callId=ID or /watch?tenant=T (WebSocket), WatchCall and
// WatchAlerts (gRPC). A watcher receives a call's or a tenant's live events through a bounded
// outbox with the sessions' drop-oldest policy (outbox.ts), so a slow supervisor desktop cannot
// grow server memory, and only events of tenants its principal may see. A call's watch ends after
// that call's summary (events belong to one call instance; a later call with the same id is
// another watch). Call ids are scoped per tenant: a call's watch follows the id in one tenant, the
// first whose event it sees (a tenant token's own), so another tenant's call under the same id
// neither shows in it nor ends it.
import { mayAccessTenant, type Principal } from '../../../core/auth/tokens.ts';
import type { VoicePulseEvent } from '../../../core/events/schema.ts';
import { IngressError } from './errors.ts';
import { Outbox } from './outbox.ts';
import type { IngressContext, SessionPort } from './session.ts';

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
 * Subscribes `port` to the target's events that pass `filter`; returns the unsubscribe. Throws
 * TENANT_FORBIDDEN for a tenant the principal may not watch; a call of another tenant simply
 * shows nothing.
 */
export function watch(
  ctx: IngressContext,
  port: Pick<SessionPort, 'out' | 'end'>,
  principal: Principal,
  target: WatchTarget,
  filter: (e: VoicePulseEvent) => boolean = () => true,
): () => void {
  if ('tenant' in target && !mayAccessTenant(principal, target.tenant))
    throw new IngressError('TENANT_FORBIDDEN', `this token may not watch tenant ${target.tenant}`);
  const outbox = new Outbox(port.out, {
    maxQueued: ctx.limits.maxQueuedMessages,
    onDrop: () => ctx.metrics?.watcherDropped.inc(),
  });
  let unsubscribe = () => {};
  let callTenant: string | undefined;
  const sink = {
    send: (json: string, event: VoicePulseEvent) => {
      if (!mayAccessTenant(principal, event.tenantId)) return;
      if ('callId' in target) {
        callTenant ??= event.tenantId;
        if (event.tenantId !== callTenant) return;
      }
      if (filter(event)) outbox.send({ json, event });
      if ('callId' in target && event.type === 'call_summary') {
        unsubscribe();
        outbox.whenFlushed(() => port.end('call ended'));
      }
    },
  };
  unsubscribe =
    'callId' in target
      ? ctx.hub.subscribeCall(target.callId, sink)
      : ctx.hub.subscribeTenant(target.tenant, sink);
  return unsubscribe;
}
