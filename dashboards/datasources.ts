// The data sources the dashboards query, by the uids that deploy/grafana/provisioning declares, and
// a query builder for the ClickHouse plugin (grafana-clickhouse-datasource), which the foundation
// SDK does not ship: the SDK's documented way is a custom Dataquery variant.
import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog';
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';

export const CLICKHOUSE: DataSourceRef = {
  type: 'grafana-clickhouse-datasource',
  uid: 'voicepulse-clickhouse',
};
export const PROMETHEUS: DataSourceRef = { type: 'prometheus', uid: 'voicepulse-prometheus' };

/** The plugin's result shapes (sqlutil.FormatQueryOption): long rows become series, or stay a table. */
export const FORMAT = { timeSeries: 0, table: 1 } as const;

/** A raw-SQL target of the ClickHouse plugin (its CHSqlQuery type, editorType 'sql'). */
export interface ClickHouseQuery {
  refId: string;
  hide?: boolean;
  datasource: DataSourceRef;
  editorType: 'sql';
  queryType: 'table' | 'timeSeries';
  format: (typeof FORMAT)[keyof typeof FORMAT];
  rawSql: string;
  _implementsDataqueryVariant(): void;
}

/** Column names each query's result must have, keyed by its SQL text; the SQL tests check them. */
const expectedColumns = new Map<string, readonly string[]>();

export function columnsOf(rawSql: string): readonly string[] | undefined {
  return expectedColumns.get(rawSql.trim());
}

/** Records what a query (a panel target or a variable's options query) must return. */
export function declareColumns(rawSql: string, columns: readonly string[]): string {
  const sql = rawSql.trim();
  const known = expectedColumns.get(sql);
  if (known && known.join() !== columns.join()) {
    throw new Error(`the same SQL is declared with two column lists: ${known.join()} vs ${columns.join()}`);
  }
  expectedColumns.set(sql, columns);
  return sql;
}

export class ClickHouseQueryBuilder implements Builder<Dataquery> {
  private readonly internal: ClickHouseQuery;

  /** `columns`: what the panel reads from the result (field overrides, links, series names). */
  constructor(kind: 'table' | 'timeSeries', rawSql: string, columns: readonly string[]) {
    const sql = declareColumns(rawSql, columns);
    this.internal = {
      datasource: CLICKHOUSE,
      editorType: 'sql',
      queryType: kind,
      format: kind === 'table' ? FORMAT.table : FORMAT.timeSeries,
      rawSql: sql,
      refId: 'A',
      _implementsDataqueryVariant() {},
    };
  }

  build(): ClickHouseQuery {
    return this.internal;
  }

  refId(refId: string): this {
    this.internal.refId = refId;
    return this;
  }
}

/** A ClickHouse query for a table, stat or bar panel (rows as they come). */
export const tableQuery = (sql: string, columns: readonly string[]) =>
  new ClickHouseQueryBuilder('table', sql, columns);

/** A ClickHouse query whose long rows (time, label…, value…) the plugin turns into series. */
export const seriesQuery = (sql: string, columns: readonly string[]) =>
  new ClickHouseQueryBuilder('timeSeries', sql, columns);
