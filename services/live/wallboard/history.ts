// What a wallboard opened at any time needs to catch up: each live call's scored windows so far, the
// tenant's alerts of the last day with who acknowledged them, and the customer frustration of calls
// that ended in the last hour (the KPI baseline). Fed every event the live service publishes, alert
// acknowledgements included (alert_ack events: the first of an alert stands), and restored from the
// history store when a board of a tenant first opens after a restart (restore); every
// store is bounded (calls, windows per call, alerts and ended calls per tenant), so a busy or hostile
// tenant cannot grow memory without limit. Windows are packed in typed arrays (37 bytes each, and
// 2 more plus 8 per segment of its explanation: at most 32 segments, the schema's bound); a call's
// explanations travel only with the whole call (`call`), not in snapshots, whose live stream carries
// each new window's own.
import { randomUUID } from 'node:crypto';
import { EMOTIONS, type Emotion } from '../../../core/emotions.ts';
import {
  type AlertAckEvent,
  type AlertEvent,
  type CallSummaryEvent,
  EVENT_SCHEMA_VERSION,
  type ScoreEvent,
  type VoicePulseEvent,
} from '../../../core/events/schema.ts';

export interface BoardHistoryOptions {
  /** Calls kept across tenants, live and recently ended; beyond it the least recently active go. Default 1000. */
  maxCalls?: number;
  /** Scored windows kept per call (both speakers; the oldest go first). Default 2400: 20 min of two speakers. */
  maxWindowsPerCall?: number;
  /** How long an ended call stays replayable. Default 10 min. */
  endedRetentionMs?: number;
  /** A call with no event this long is taken as ended (its summary was lost; holds can be long). Default 15 min. */
  staleMs?: number;
  /** Alerts kept per tenant, the newest. Default 1000. */
  maxAlertsPerTenant?: number;
  /** Alerts older than this are dropped (the board shows today's). Default 24 h. */
  alertRetentionMs?: number;
  /** Ended calls kept per tenant for the last-hour baseline. Default 5000. */
  maxEndedPerTenant?: number;
  /** Wall clock, epoch ms. */
  now?: () => number;
}

const DEFAULTS: Required<Omit<BoardHistoryOptions, 'now'>> = {
  maxCalls: 1000,
  maxWindowsPerCall: 2400,
  endedRetentionMs: 10 * 60_000,
  staleMs: 15 * 60_000,
  maxAlertsPerTenant: 1000,
  alertRetentionMs: 24 * 3_600_000,
  maxEndedPerTenant: 5000,
};

const HOUR_MS = 3_600_000;
const SWEEP_EVERY_MS = 1000;
/** frustration, valence, then the six emotion probabilities. */
const STRIDE = 2 + EMOTIONS.length;
const FIRST_CAPACITY = 64;
/** Weights are kept as Int16: steps of 1/32767, finer than the 4 decimals a board gets. */
const WEIGHT_SCALE = 32_767;
/** Segment lengths are kept as Uint16 ms; longer ones (none are: about 200 ms) are cut to this. */
const MAX_SEGMENT_MS = 0xffff;
const EMOTION_INDEX: ReadonlyMap<Emotion, number> = new Map(EMOTIONS.map((e, i) => [e, i]));

/** Scored windows in columns, speaker `c`/`a` per window; numbers rounded to 3 decimals. */
export interface CompactWindows {
  speakers: string;
  endMs: number[];
  frustration: number[];
  valence: number[];
  /** EMOTIONS.length probabilities per window, in EMOTIONS order. */
  probs: number[];
  /** The windows' explanations (in a call's whole history only, not in snapshots). */
  explanations?: CompactExplanations;
}

/**
 * Explanations of compact windows in columns: per window its emotion's index in EMOTIONS (-1: none)
 * and its number of segments; per segment, the windows' in order, start and end (ms into the call)
 * and weight (4 decimals).
 */
export interface CompactExplanations {
  emotion: number[];
  segments: number[];
  startMs: number[];
  endMs: number[];
  weight: number[];
}

export interface BoardCall {
  callId: string;
  agentId: string | null;
  queue: string | null;
  /** The caller or customer when the call's start named one (personal data); the board falls back to the call id. */
  customerId: string | null;
  /** Epoch ms of the call's start (first event's production time minus its offset into the call). */
  startedAtMs: number;
  lastEventAtMs: number;
  endedAtMs: number | null;
  durationMs: number | null;
  /** The call ended without its own summary: its pod died and the cluster feed ended it (issue 15). */
  interrupted: boolean;
  /** Windows replayed: the last `tail` of them in a snapshot, all that are kept in a call's history. */
  windows: CompactWindows;
  /** Windows dropped from the front because the call outgrew maxWindowsPerCall. */
  droppedWindows: number;
}

export interface Ack {
  by: string;
  atMs: number;
}

export type BoardAlert = AlertEvent & { ack: Ack | null };

export interface EndedCall {
  callId: string;
  agentId: string | null;
  queue: string | null;
  endedAtMs: number;
  /** Sum and count of the customer's frustration over the call's scored windows. */
  frustrationSum: number;
  windows: number;
}

export interface BoardSnapshot {
  type: 'snapshot';
  tenantId: string;
  nowMs: number;
  calls: BoardCall[];
  /** The last day's alerts, oldest first. */
  alerts: BoardAlert[];
  /** Calls that ended in the last hour. */
  ended: EndedCall[];
}

export interface AckMessage {
  type: 'ack';
  tenantId: string;
  callId: string;
  alertId: string;
  ack: Ack;
}

/** A call's windows, growing by doubling up to the cap, then dropping the oldest eighth at a time. */
class WindowStore {
  private speaker = new Uint8Array(FIRST_CAPACITY);
  private end = new Uint32Array(FIRST_CAPACITY);
  private values = new Float32Array(FIRST_CAPACITY * STRIDE);
  /** Per window: its explanation's EMOTIONS index + 1 (0: none) and number of segments. */
  private explained = new Uint8Array(FIRST_CAPACITY);
  private segmentCount = new Uint8Array(FIRST_CAPACITY);
  /** The segments of the kept windows, in window order: start (ms into the call), length, weight. */
  private segmentStart = new Uint32Array(FIRST_CAPACITY);
  private segmentLength = new Uint16Array(FIRST_CAPACITY);
  private segmentWeight = new Int16Array(FIRST_CAPACITY);
  private segments = 0;
  length = 0;
  dropped = 0;

  constructor(private readonly max: number) {}

  push(e: ScoreEvent): void {
    if (this.length === this.speaker.length) this.makeRoom();
    const i = this.length++;
    this.speaker[i] = e.speaker === 'customer' ? 0 : 1;
    this.end[i] = e.windowEndMs;
    const v = i * STRIDE;
    this.values[v] = e.frustration;
    this.values[v + 1] = e.valence;
    for (let k = 0; k < EMOTIONS.length; k++) this.values[v + 2 + k] = e.probs[EMOTIONS[k]!];
    const x = e.explanation;
    this.explained[i] = x ? EMOTION_INDEX.get(x.emotion)! + 1 : 0;
    this.segmentCount[i] = x ? x.segments.length : 0;
    if (!x) return;
    if (this.segments + x.segments.length > this.segmentStart.length)
      this.growSegments(this.segments + x.segments.length);
    for (const segment of x.segments) {
      const j = this.segments++;
      this.segmentStart[j] = segment.startMs;
      this.segmentLength[j] = Math.max(0, Math.min(MAX_SEGMENT_MS, segment.endMs - segment.startMs));
      this.segmentWeight[j] = Math.round(segment.weight * WEIGHT_SCALE);
    }
  }

  /** Segments of windows [0, window). */
  private segmentsBefore(window: number): number {
    let n = 0;
    for (let i = 0; i < window; i++) n += this.segmentCount[i]!;
    return n;
  }

  private growSegments(needed: number): void {
    let capacity = this.segmentStart.length;
    while (capacity < needed) capacity *= 2;
    this.segmentStart = grow(this.segmentStart, capacity);
    this.segmentLength = grow(this.segmentLength, capacity);
    this.segmentWeight = grow(this.segmentWeight, capacity);
  }

  private makeRoom(): void {
    const capacity = this.speaker.length;
    if (capacity < this.max) {
      const next = Math.min(this.max, capacity * 2);
      this.speaker = grow(this.speaker, next);
      this.end = grow(this.end, next);
      this.values = grow(this.values, next * STRIDE);
      this.explained = grow(this.explained, next);
      this.segmentCount = grow(this.segmentCount, next);
      return;
    }
    const drop = Math.max(1, Math.floor(capacity / 8));
    const droppedSegments = this.segmentsBefore(drop);
    this.speaker.copyWithin(0, drop);
    this.end.copyWithin(0, drop);
    this.values.copyWithin(0, drop * STRIDE);
    this.explained.copyWithin(0, drop);
    this.segmentCount.copyWithin(0, drop);
    this.segmentStart.copyWithin(0, droppedSegments, this.segments);
    this.segmentLength.copyWithin(0, droppedSegments, this.segments);
    this.segmentWeight.copyWithin(0, droppedSegments, this.segments);
    this.segments -= droppedSegments;
    this.length -= drop;
    this.dropped += drop;
  }

  /** Windows from `from` on; with their explanations when `explanations` is set. */
  compact(from = 0, explanations = false): CompactWindows {
    const r = (x: number) => Math.round(x * 1000) / 1000;
    const out: CompactWindows = { speakers: '', endMs: [], frustration: [], valence: [], probs: [] };
    const first = Math.max(0, from);
    for (let i = first; i < this.length; i++) {
      out.speakers += this.speaker[i] === 0 ? 'c' : 'a';
      out.endMs.push(this.end[i]!);
      const v = i * STRIDE;
      out.frustration.push(r(this.values[v]!));
      out.valence.push(r(this.values[v + 1]!));
      for (let k = 0; k < EMOTIONS.length; k++) out.probs.push(r(this.values[v + 2 + k]!));
    }
    if (explanations) out.explanations = this.compactExplanations(first);
    return out;
  }

  private compactExplanations(first: number): CompactExplanations {
    const out: CompactExplanations = { emotion: [], segments: [], startMs: [], endMs: [], weight: [] };
    let j = this.segmentsBefore(first);
    for (let i = first; i < this.length; i++) {
      out.emotion.push(this.explained[i]! - 1);
      out.segments.push(this.segmentCount[i]!);
      for (const end = j + this.segmentCount[i]!; j < end; j++) {
        out.startMs.push(this.segmentStart[j]!);
        out.endMs.push(this.segmentStart[j]! + this.segmentLength[j]!);
        out.weight.push(Math.round((this.segmentWeight[j]! / WEIGHT_SCALE) * 10_000) / 10_000);
      }
    }
    return out;
  }
}

/** A copy of `a` with room for `n` elements. */
function grow<T extends Uint8Array | Uint16Array | Int16Array | Uint32Array | Float32Array>(
  a: T,
  n: number,
): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}

/** A call as the board shows it, with all its windows kept, and the customer's frustration summed for EndedCall. */
interface CallState extends Omit<BoardCall, 'windows' | 'droppedWindows'> {
  tenantId: string;
  windows: WindowStore;
  frustrationSum: number;
  customerWindows: number;
}

interface TenantState {
  alerts: BoardAlert[];
  alertsById: Map<string, BoardAlert>;
  ended: EndedCall[];
  listeners: Set<(line: string) => void>;
}

export class BoardHistory {
  private readonly o: Required<Omit<BoardHistoryOptions, 'now'>>;
  private readonly now: () => number;
  /** Insertion order = least recently active first (a call is re-inserted on each event). */
  private readonly calls = new Map<string, CallState>();
  private readonly tenants = new Map<string, TenantState>();
  private lastSweepMs = Number.NEGATIVE_INFINITY;

  constructor(options: BoardHistoryOptions = {}) {
    const { now, ...rest } = options;
    this.o = { ...DEFAULTS, ...rest };
    this.now = now ?? Date.now;
  }

  /** Takes one validated event of the live service (scores, alerts, summaries, acknowledgements). */
  record(event: VoicePulseEvent): void {
    if (event.type === 'alert_ack') {
      this.applyAck(event);
      return;
    }
    const now = this.now();
    const key = `${event.tenantId}\u0000${event.callId}`;
    let call = this.calls.get(key);
    if (call) this.calls.delete(key);
    else {
      // Over the bound, the least recently active call goes (the first in insertion order).
      if (this.calls.size >= this.o.maxCalls) this.calls.delete(this.calls.keys().next().value!);
      call = {
        tenantId: event.tenantId,
        callId: event.callId,
        agentId: event.agentId,
        queue: event.queue,
        customerId: event.customerId ?? null,
        startedAtMs: startOf(event),
        lastEventAtMs: now,
        endedAtMs: null,
        durationMs: null,
        interrupted: false,
        windows: new WindowStore(this.o.maxWindowsPerCall),
        frustrationSum: 0,
        customerWindows: 0,
      };
    }
    this.calls.set(key, call);
    call.lastEventAtMs = now;
    call.customerId ??= event.customerId ?? null;
    const tenant = this.tenant(event.tenantId);
    if (event.type === 'score') {
      call.windows.push(event);
      if (event.speaker === 'customer') {
        call.frustrationSum += event.frustration;
        call.customerWindows++;
      }
    } else if (event.type === 'alert') {
      const alert: BoardAlert = { ...event, ack: null };
      if (!tenant.alertsById.has(alert.eventId)) {
        tenant.alerts.push(alert);
        tenant.alertsById.set(alert.eventId, alert);
        if (tenant.alerts.length > this.o.maxAlertsPerTenant)
          tenant.alertsById.delete(tenant.alerts.shift()!.eventId);
      }
    } else this.end(call, event);
    if (now - this.lastSweepMs >= SWEEP_EVERY_MS) this.sweep(now);
    this.broadcast(tenant, event);
  }

  /** Everything a board of `tenantId` starts from; each call with its last `tail` windows. */
  snapshot(tenantId: string, tail = 120): BoardSnapshot {
    const now = this.now();
    this.sweep(now);
    const tenant = this.tenants.get(tenantId);
    const calls: BoardCall[] = [];
    for (const call of this.calls.values())
      if (call.tenantId === tenantId) calls.push(this.boardCall(call, call.windows.length - tail));
    return {
      type: 'snapshot',
      tenantId,
      nowMs: now,
      calls,
      alerts: tenant ? [...tenant.alerts] : [],
      ended: tenant ? tenant.ended.filter((c) => c.endedAtMs >= now - HOUR_MS) : [],
    };
  }

  /** One call with every window kept and their explanations, or undefined when it is unknown (or no longer kept). */
  call(tenantId: string, callId: string): BoardCall | undefined {
    const call = this.calls.get(`${tenantId}\u0000${callId}`);
    return call && this.boardCall(call, 0, true);
  }

  /** The acknowledgement that stands for a tenant's alert: null when none yet, undefined when the alert is unknown. */
  ackOf(tenantId: string, alertId: string): Ack | null | undefined {
    return this.tenants.get(tenantId)?.alertsById.get(alertId)?.ack;
  }

  /**
   * The event by which `by` acknowledges a tenant's alert now (to publish, then record), on the
   * alert's call; undefined when the tenant has no such alert.
   */
  ackEvent(tenantId: string, alertId: string, by: string): AlertAckEvent | undefined {
    const alert = this.tenants.get(tenantId)?.alertsById.get(alertId);
    if (!alert) return undefined;
    return {
      schemaVersion: EVENT_SCHEMA_VERSION,
      eventId: randomUUID(),
      tenantId,
      callId: alert.callId,
      agentId: alert.agentId,
      queue: alert.queue,
      ...(alert.customerId ? { customerId: alert.customerId } : {}),
      producedAtMs: this.now(),
      type: 'alert_ack',
      alertId,
      by,
    };
  }

  /** Which stored alerts `restore` keeps: those since `sinceMs` (epoch ms), at most `limit` of them. */
  alertWindow(): { sinceMs: number; limit: number } {
    return { sinceMs: this.now() - this.o.alertRetentionMs, limit: this.o.maxAlertsPerTenant };
  }

  /**
   * Adds a tenant's stored alerts of the retention period (what a restart lost) and their
   * acknowledgements, the earliest of each alert standing; what is already here is kept.
   */
  restore(tenantId: string, alerts: readonly AlertEvent[], acks: readonly AlertAckEvent[]): void {
    const since = this.now() - this.o.alertRetentionMs;
    const tenant = this.tenant(tenantId);
    const before = tenant.alerts.length;
    for (const alert of alerts)
      if (
        alert.tenantId === tenantId &&
        alert.producedAtMs >= since &&
        !tenant.alertsById.has(alert.eventId)
      ) {
        const kept: BoardAlert = { ...alert, ack: null };
        tenant.alerts.push(kept);
        tenant.alertsById.set(kept.eventId, kept);
      }
    if (tenant.alerts.length > before) {
      tenant.alerts.sort((a, b) => a.producedAtMs - b.producedAtMs);
      while (tenant.alerts.length > this.o.maxAlertsPerTenant)
        tenant.alertsById.delete(tenant.alerts.shift()!.eventId);
    }
    for (const ack of [...acks].sort((a, b) => a.producedAtMs - b.producedAtMs))
      if (ack.tenantId === tenantId) this.applyAck(ack);
  }

  /** Calls `listener` with each event and acknowledgement of `tenantId`, as one JSON line. */
  subscribe(tenantId: string, listener: (line: string) => void): () => void {
    const tenant = this.tenant(tenantId);
    tenant.listeners.add(listener);
    return () => {
      tenant.listeners.delete(listener);
      this.dropIfIdle(tenantId, tenant);
    };
  }

  /** Calls kept, for tests and metrics. */
  get size(): number {
    return this.calls.size;
  }

  private boardCall(call: CallState, from: number, explanations = false): BoardCall {
    return {
      callId: call.callId,
      agentId: call.agentId,
      queue: call.queue,
      customerId: call.customerId,
      startedAtMs: call.startedAtMs,
      lastEventAtMs: call.lastEventAtMs,
      endedAtMs: call.endedAtMs,
      durationMs: call.durationMs,
      interrupted: call.interrupted,
      windows: call.windows.compact(from, explanations),
      droppedWindows: call.windows.dropped + Math.max(0, from),
    };
  }

  /** The first acknowledgement of a known alert stands and is told to the tenant's boards; others are dropped. */
  private applyAck(event: AlertAckEvent): void {
    const tenant = this.tenants.get(event.tenantId);
    const alert = tenant?.alertsById.get(event.alertId);
    if (!tenant || !alert || alert.ack) return;
    alert.ack = { by: event.by, atMs: event.producedAtMs };
    const message: AckMessage = {
      type: 'ack',
      tenantId: event.tenantId,
      callId: alert.callId,
      alertId: alert.eventId,
      ack: alert.ack,
    };
    this.broadcast(tenant, message);
  }

  private end(call: CallState, summary: CallSummaryEvent | null): void {
    if (call.endedAtMs !== null) return;
    call.endedAtMs = summary?.endedAtMs ?? call.lastEventAtMs;
    call.durationMs = summary?.durationMs ?? null;
    call.interrupted = summary?.interrupted === true;
    const tenant = this.tenant(call.tenantId);
    tenant.ended.push({
      callId: call.callId,
      agentId: call.agentId,
      queue: call.queue,
      endedAtMs: call.endedAtMs,
      frustrationSum: call.frustrationSum,
      windows: call.customerWindows,
    });
    if (tenant.ended.length > this.o.maxEndedPerTenant) tenant.ended.shift();
  }

  private tenant(tenantId: string): TenantState {
    let t = this.tenants.get(tenantId);
    if (!t) {
      t = { alerts: [], alertsById: new Map(), ended: [], listeners: new Set() };
      this.tenants.set(tenantId, t);
    }
    return t;
  }

  private dropIfIdle(tenantId: string, t: TenantState): void {
    if (t.alerts.length === 0 && t.ended.length === 0 && t.listeners.size === 0)
      this.tenants.delete(tenantId);
  }

  /** Ends silent calls and forgets old ended calls and alerts (at most every SWEEP_EVERY_MS from record). */
  private sweep(now: number): void {
    this.lastSweepMs = now;
    for (const [key, call] of this.calls) {
      if (call.endedAtMs === null && now - call.lastEventAtMs > this.o.staleMs) this.end(call, null);
      if (call.endedAtMs !== null && now - call.endedAtMs > this.o.endedRetentionMs) this.calls.delete(key);
    }
    for (const [tenantId, t] of this.tenants) {
      let drop = 0;
      while (drop < t.alerts.length && t.alerts[drop]!.producedAtMs < now - this.o.alertRetentionMs)
        t.alertsById.delete(t.alerts[drop++]!.eventId);
      if (drop > 0) t.alerts.splice(0, drop);
      let old = 0;
      while (old < t.ended.length && t.ended[old]!.endedAtMs < now - HOUR_MS) old++;
      if (old > 0) t.ended.splice(0, old);
      this.dropIfIdle(tenantId, t);
    }
  }

  private broadcast(
    tenant: TenantState,
    message: Exclude<VoicePulseEvent, AlertAckEvent> | AckMessage,
  ): void {
    if (tenant.listeners.size === 0) return;
    const line = JSON.stringify(message);
    for (const listener of tenant.listeners) listener(line);
  }
}

/** Epoch ms at which the call started, from an event's production time and its offset into the call. */
function startOf(e: Exclude<VoicePulseEvent, AlertAckEvent>): number {
  if (e.type === 'call_summary') return e.startedAtMs;
  return e.producedAtMs - (e.type === 'score' ? e.windowEndMs : e.atMs);
}
