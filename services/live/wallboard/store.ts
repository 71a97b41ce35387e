// What a wallboard reads back from the history store (ClickHouse, where the sink stores every event)
// when a tenant's first board opens after a restart: the tenant's alerts of the retention period and
// their acknowledgements. Rows are validated as events, like anything else from outside the process;
// a row that no longer is one is skipped, not shown.
import type { ClickHouse } from '../../../core/clickhouse/client.ts';
import {
  type AlertAckEvent,
  type AlertEvent,
  EVENT_SCHEMA_VERSION,
  parseEvent,
} from '../../../core/events/schema.ts';

export interface StoredAlerts {
  alerts: AlertEvent[];
  acks: AlertAckEvent[];
}

export interface BoardStore {
  /** The tenant's newest `limit` alerts produced since `sinceMs` (epoch ms), and their acknowledgements. */
  alertsSince(tenantId: string, sinceMs: number, limit: number): Promise<StoredAlerts>;
}

type Row = Record<string, unknown>;

/** The envelope of a raw table's row ('' ids are null, or absent for the customer). */
function envelope(r: Row) {
  return {
    schemaVersion: EVENT_SCHEMA_VERSION,
    eventId: r.event_id,
    tenantId: r.tenant_id,
    callId: r.call_id,
    agentId: r.agent_id || null,
    queue: r.queue || null,
    ...(r.customer_id ? { customerId: r.customer_id } : {}),
    producedAtMs: Number(r.produced_at_ms),
  };
}

function valid<E>(value: unknown): E[] {
  try {
    return [parseEvent(value) as E];
  } catch {
    return [];
  }
}

const ENVELOPE = 'event_id, tenant_id, call_id, agent_id, queue, customer_id, produced_at_ms';
const RANGE = 'tenant_id = {tenant:String} AND produced_at_ms >= {since:UInt64}';

export function clickhouseBoardStore(ch: ClickHouse): BoardStore {
  return {
    async alertsSince(tenantId, sinceMs, limit) {
      const params = { tenant: tenantId, since: Math.max(0, Math.floor(sinceMs)), limit };
      const alertRows = await ch.query<Row>(
        `SELECT ${ENVELOPE}, rule, speaker, severity, at_ms, value, threshold, message
         FROM alerts FINAL WHERE ${RANGE} ORDER BY produced_at_ms DESC LIMIT {limit:UInt32}`,
        params,
      );
      // An alert is acknowledged after it was produced: its acknowledgements are in the same range.
      const ackRows = await ch.query<Row>(
        `SELECT ${ENVELOPE}, alert_id, acked_by
         FROM alert_acks FINAL WHERE ${RANGE} ORDER BY produced_at_ms LIMIT {limit:UInt32}`,
        params,
      );
      return {
        alerts: alertRows.flatMap((r) =>
          valid<AlertEvent>({
            ...envelope(r),
            type: 'alert',
            rule: r.rule,
            speaker: r.speaker,
            severity: r.severity,
            atMs: Number(r.at_ms),
            value: Number(r.value),
            threshold: Number(r.threshold),
            message: r.message,
          }),
        ),
        acks: ackRows.flatMap((r) =>
          valid<AlertAckEvent>({ ...envelope(r), type: 'alert_ack', alertId: r.alert_id, by: r.acked_by }),
        ),
      };
    },
  };
}
