import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLICKHOUSE, columnsOf, PROMETHEUS } from './datasources.ts';
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

it('Prometheus panels query metrics the live service or the sink registers (kafka_* come from kafka-exporter)', () => {
  const registered = ['../services/live/ingress/metrics.ts', '../services/sink/metrics.ts']
    .map((file) => readFileSync(new URL(file, import.meta.url), 'utf8'))
    .join('\n');
  const exprs = Object.values(DASHBOARDS).flatMap((build) =>
    (build().panels ?? []).flatMap((p) =>
      ((p as { targets?: { datasource?: { uid?: string }; expr?: string }[] }).targets ?? [])
        .filter((t) => t.datasource?.uid === PROMETHEUS.uid)
        .map((t) => t.expr ?? ''),
    ),
  );
  expect(exprs.length).toBeGreaterThan(3);
  for (const expr of exprs) {
    const names = [...expr.matchAll(/\b(voicepulse_\w+|kafka_\w+)\b/g)].map((m) => m[1] ?? '');
    expect(names.length, expr).toBeGreaterThan(0);
    for (const name of names.filter((n) => n.startsWith('voicepulse_'))) {
      // Histograms are registered by base name; Prometheus adds _bucket/_sum/_count.
      expect(registered, name).toContain(`'${name.replace(/_(bucket|sum|count)$/, '')}'`);
    }
  }
});
