// Pieces every VoicePulse dashboard shares: the tenant/queue/agent variables, the SQL that applies
// them, time bucketing that ClickHouse 18.16 can run, and links between dashboards.
import {
  DashboardBuilder,
  DashboardLinkBuilder,
  DashboardLinkType,
  QueryVariableBuilder,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { UID } from '../core/dashboards.ts';
import { CLICKHOUSE, declareColumns } from './datasources.ts';

export const TAG = 'voicepulse';

export { UID };

/** Tenant first: queue and agent options are those of the selected tenant (and queues). */
export const VARIABLE_SQL = {
  tenant: declareColumns('SELECT DISTINCT tenant_id FROM score_minutes ORDER BY tenant_id', ['tenant_id']),
  queue: declareColumns(
    `SELECT DISTINCT queue FROM score_minutes WHERE tenant_id = \${tenant:singlequote} AND queue != '' ORDER BY queue`,
    ['queue'],
  ),
  agent: declareColumns(
    `SELECT DISTINCT agent_id FROM score_minutes WHERE tenant_id = \${tenant:singlequote} AND $__conditionalAll(queue IN (\${queue:singlequote}), $queue) AND agent_id != '' ORDER BY agent_id`,
    ['agent_id'],
  ),
} as const;

function variable(name: keyof typeof VARIABLE_SQL, label: string, multi: boolean): QueryVariableBuilder {
  const v = new QueryVariableBuilder(name)
    .label(label)
    .datasource(CLICKHOUSE)
    .query(VARIABLE_SQL[name])
    .definition(VARIABLE_SQL[name])
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc);
  return multi ? v.multi(true).includeAll(true) : v;
}

/** Filters a table with tenant_id, queue and agent_id columns by the three variables. */
export const FILTER = `tenant_id = \${tenant:singlequote} AND $__conditionalAll(queue IN (\${queue:singlequote}), $queue) AND $__conditionalAll(agent_id IN (\${agent:singlequote}), $agent)`;

/**
 * Start of the panel's time bucket for a DateTime column, never finer than the minute aggregates.
 * (The plugin's $__timeInterval expands to toStartOfInterval, which ClickHouse 18.16 lacks.)
 */
export function bucket(column: string, minSeconds = 60): string {
  const size = `greatest($__interval_s, ${minSeconds})`;
  return `toDateTime(intDiv(toUInt32(${column}), ${size}) * ${size})`;
}

/** Seconds in the bucket that `bucket(column, minSeconds)` makes, for per-second rates. */
export function bucketSeconds(minSeconds = 60): string {
  return `greatest($__interval_s, ${minSeconds})`;
}

/** URL of a call's timeline dashboard, for a table cell holding the call id. */
export const CALL_TIMELINE_LINK = `/d/${UID.callTimeline}/call-timeline?var-tenant=\${tenant}&var-call_id=\${__value.raw}&\${__url_time_range}`;

/** A dashboard with the common settings, variables and the menu of the other VoicePulse dashboards. */
export function voicePulseDashboard(uid: string, title: string, description: string): DashboardBuilder {
  return new DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags([TAG])
    .timezone('browser')
    .time({ from: 'now-6h', to: 'now' })
    .refresh('30s')
    .withVariable(variable('tenant', 'Tenant', false))
    .withVariable(variable('queue', 'Queue', true))
    .withVariable(variable('agent', 'Agent', true))
    .link(
      new DashboardLinkBuilder('VoicePulse')
        .type(DashboardLinkType.Dashboards)
        .tags([TAG])
        .asDropdown(true)
        .includeVars(true)
        .keepTime(true),
    );
}
