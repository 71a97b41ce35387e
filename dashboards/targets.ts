// The ClickHouse queries inside a built dashboard (panel targets and variables' option queries),
// for the tests that run them.
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { CLICKHOUSE } from './datasources.ts';

export interface ClickHouseTarget {
  /** Panel title, or `variable <name>`. */
  title: string;
  sql: string;
  datasource: DataSourceRef;
}

interface LoosePanel {
  title?: string;
  datasource?: DataSourceRef;
  targets?: { datasource?: DataSourceRef; rawSql?: string }[];
  panels?: LoosePanel[];
}

export function clickhouseTargets(dashboard: Dashboard): ClickHouseTarget[] {
  const out: ClickHouseTarget[] = [];
  const visit = (panel: LoosePanel) => {
    for (const t of panel.targets ?? []) {
      const datasource = t.datasource ?? panel.datasource;
      if (datasource !== undefined && datasource.type === CLICKHOUSE.type) {
        out.push({ title: panel.title ?? '(untitled)', sql: t.rawSql ?? '', datasource });
      }
    }
    for (const child of panel.panels ?? []) visit(child);
  };
  for (const panel of (dashboard.panels ?? []) as LoosePanel[]) visit(panel);
  for (const v of dashboard.templating?.list ?? []) {
    const datasource = v.datasource;
    if (
      v.type === 'query' &&
      datasource !== undefined &&
      datasource.type === CLICKHOUSE.type &&
      typeof v.query === 'string'
    ) {
      out.push({ title: `variable ${v.name}`, sql: v.query, datasource });
    }
  }
  return out;
}
