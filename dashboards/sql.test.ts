// Every ClickHouse query of every dashboard, rendered exactly as Grafana and the plugin would send
// it, runs on the real server (CI: ClickHouse 18.16) against seeded events and returns the columns
// its panel reads.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ClickHouse, connectHttp } from '../core/clickhouse/client.ts';
import { migrate } from '../core/clickhouse/migrations.ts';
import { insertEvents } from '../services/sink/rows.ts';
import { describeWithService } from '../test/testing/services.ts';
import { columnsOf } from './datasources.ts';
import { DASHBOARDS } from './index.ts';
import { ALL, type QueryContext, renderPanelSql } from './macros.ts';
import { clickhouseTargets } from './targets.ts';
import { SEED_AGENTS, SEED_QUEUES, seedEvents } from './testing/seed.ts';

const TENANT = 'tenant-dash';
const NOW_MS = Math.floor(Date.now() / 60_000) * 60_000; // whole minute: the minute tables start there
const database = `vp_dashboards_${process.pid}_${Date.now()}`;

interface JsonResult {
  meta: { name: string; type: string }[];
  data: Record<string, unknown>[];
}

await describeWithService('clickhouse', 'dashboard SQL on ClickHouse', ({ url }) => {
  let ch: ClickHouse;

  beforeAll(async () => {
    ch = await connectHttp({ url, database });
    await migrate(ch);
    await insertEvents(ch, seedEvents({ tenantId: TENANT, nowMs: NOW_MS }));
  });

  afterAll(async () => {
    await ch?.exec(`DROP DATABASE IF EXISTS ${database}`);
    await ch?.close();
  });

  /** Runs SQL as Grafana's plugin would, asking for FORMAT JSON so column names come even with no rows. */
  async function run(sql: string): Promise<JsonResult> {
    const res = await fetch(`${url}/?database=${database}`, { method: 'POST', body: `${sql}\nFORMAT JSON` });
    const text = await res.text();
    if (!res.ok) throw new Error(`ClickHouse ${res.status}: ${text.slice(0, 500)}\n--- SQL ---\n${sql}`);
    return JSON.parse(text) as JsonResult;
  }

  const base = { fromMs: NOW_MS - 2 * 3_600_000, toMs: NOW_MS + 60_000, intervalMs: 30_000 };
  const selections: [string, QueryContext][] = [
    [
      'All queues and agents',
      { ...base, variables: { tenant: TENANT, queue: [ALL], agent: [ALL], call_id: 'seed-call-1' } },
    ],
    [
      'one queue, two agents',
      {
        ...base,
        intervalMs: 600_000,
        variables: {
          tenant: TENANT,
          queue: [SEED_QUEUES[1]],
          agent: [SEED_AGENTS[0], SEED_AGENTS[1]],
          call_id: 'seed-call-7',
        },
      },
    ],
  ];
  const cases = Object.entries(DASHBOARDS).flatMap(([file, build]) =>
    clickhouseTargets(build()).flatMap((t) =>
      selections.map(([label, ctx]) => ({ name: `${file} / ${t.title} (${label})`, sql: t.sql, ctx, label })),
    ),
  );

  it.each(cases)('$name', async ({ sql, ctx, label }) => {
    const result = await run(renderPanelSql(sql, ctx));
    expect(result.meta.map((m) => m.name)).toEqual(columnsOf(sql));
    const time = result.meta.find(
      (m) => m.name === 'time' || m.name === 'started' || m.name === 'last_scored',
    );
    if (time) expect(time.type).toMatch(/^DateTime(\(|$)/);
    // The seed covers every panel when nothing is filtered out, so an empty result is a broken query.
    if (label === 'All queues and agents') expect(result.data.length).toBeGreaterThan(0);
  });

  it('names the strongest segment of each explained customer window (call timeline)', async () => {
    const target = clickhouseTargets(DASHBOARDS['call-timeline.json']!()).find((t) =>
      t.title.startsWith('What drove'),
    )!;
    const { data } = await run(renderPanelSql(target.sql, selections[0]![1]));
    // seed-call-1: 66 s of 2 s windows; window w's strongest segment is its (w mod 10)-th.
    expect(data).toHaveLength(33);
    data.forEach((row, w) => {
      expect(Number(row.window_s)).toBe(2 * w);
      expect(Number(row.segment_s)).toBeCloseTo(2 * w + 0.2 * (w % 10), 6);
      expect(Number(row.weight)).toBeCloseTo(0.2, 6);
    });
  });

  it('filters really narrow the results (one queue, two agents)', async () => {
    const sql = `SELECT DISTINCT queue, agent_id FROM call_summaries WHERE $__timeFilter(started_at) AND tenant_id = \${tenant:singlequote} AND $__conditionalAll(queue IN (\${queue:singlequote}), $queue) AND $__conditionalAll(agent_id IN (\${agent:singlequote}), $agent)`;
    const ctx = selections[1]?.[1] as QueryContext;
    const { data } = await run(renderPanelSql(sql, ctx));
    expect(data.length).toBeGreaterThan(0);
    for (const row of data) {
      expect(row.queue).toBe(SEED_QUEUES[1]);
      expect([SEED_AGENTS[0], SEED_AGENTS[1]]).toContain(row.agent_id);
    }
  });
});
