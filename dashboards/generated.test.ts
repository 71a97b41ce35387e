import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLICKHOUSE, columnsOf } from './datasources.ts';
import { DASHBOARDS, GENERATED_DIR, renderDashboard } from './index.ts';
import { clickhouseTargets } from './targets.ts';

describe('dashboards/generated', () => {
  it('holds exactly the generated dashboards', () => {
    expect(
      readdirSync(GENERATED_DIR)
        .filter((f) => f.endsWith('.json'))
        .sort(),
    ).toEqual(Object.keys(DASHBOARDS).sort());
  });

  it.each(Object.entries(DASHBOARDS))(
    '%s equals what the code generates (run `npm run dashboards`)',
    (file, build) => {
      expect(readFileSync(join(GENERATED_DIR, file), 'utf8')).toBe(renderDashboard(build()));
    },
  );

  it.each(Object.entries(DASHBOARDS))(
    '%s: unique uid, ClickHouse targets declare their columns',
    (_file, build) => {
      const dashboard = build();
      const uids = Object.values(DASHBOARDS).map((b) => b().uid);
      expect(uids.filter((u) => u === dashboard.uid)).toHaveLength(1);
      const targets = clickhouseTargets(dashboard);
      expect(targets.length).toBeGreaterThan(0);
      for (const t of targets) {
        expect(t.datasource).toEqual(CLICKHOUSE);
        expect(columnsOf(t.sql), t.title).toBeDefined();
      }
    },
  );
});
