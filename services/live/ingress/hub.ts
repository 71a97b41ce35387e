// Fans live events out to /watch subscribers (one call, or a whole tenant) and to the sockets that
// asked for their own call's scores (native /stream).
import type { VoicePulseEvent } from '../../../core/events/schema.ts';

export interface EventSink {
  send(message: string, event: VoicePulseEvent): void;
}

export class EventHub {
  private readonly byCall = new Map<string, Set<EventSink>>();
  private readonly byTenant = new Map<string, Set<EventSink>>();

  subscribeCall(callId: string, sink: EventSink): () => void {
    return add(this.byCall, callId, sink);
  }

  subscribeTenant(tenantId: string, sink: EventSink): () => void {
    return add(this.byTenant, tenantId, sink);
  }

  publish(event: VoicePulseEvent): void {
    const call = this.byCall.get(event.callId);
    const tenant = this.byTenant.get(event.tenantId);
    if (!call && !tenant) return;
    const message = JSON.stringify(event);
    if (call) for (const s of call) s.send(message, event);
    if (tenant) for (const s of tenant) s.send(message, event);
  }
}

function add(map: Map<string, Set<EventSink>>, key: string, sink: EventSink): () => void {
  let set = map.get(key);
  if (!set) {
    set = new Set();
    map.set(key, set);
  }
  set.add(sink);
  return () => {
    set.delete(sink);
    if (set.size === 0) map.delete(key);
  };
}
