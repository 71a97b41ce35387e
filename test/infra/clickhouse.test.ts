import { randomUUID } from 'node:crypto';
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithService } from '../testing/services.ts';

await describeWithService('clickhouse', 'ClickHouse smoke (real server)', ({ url }) => {
  const table = `vp_infra_smoke_${randomUUID().replaceAll('-', '')}`;
  let client: ClickHouseClient;

  beforeAll(() => {
    client = createClient({ url });
  });

  afterAll(async () => {
    await client.command({ query: `DROP TABLE IF EXISTS ${table}` });
    await client.close();
  });

  it('is the Debian 18.16 line or newer', async () => {
    const rs = await client.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' });
    const [row] = await rs.json<{ v: string }>();
    const [major = 0, minor = 0] = (row?.v ?? '').split('.').map(Number);
    expect(major * 1000 + minor, `server version ${row?.v}`).toBeGreaterThanOrEqual(18_016);
  });

  it('creates, inserts, selects and drops a MergeTree table', async () => {
    await client.command({
      query: `CREATE TABLE ${table} (ts DateTime, call_id String, emotion String, score Float32)
              ENGINE = MergeTree PARTITION BY toYYYYMMDD(ts) ORDER BY (call_id, ts)`,
    });
    await client.insert({
      table,
      format: 'JSONEachRow',
      values: [
        { ts: '2024-05-01 10:00:05', call_id: 'c1', emotion: 'angry', score: 0.5 },
        { ts: '2024-05-01 10:00:45', call_id: 'c1', emotion: 'angry', score: 0.75 },
        { ts: '2024-05-01 10:01:10', call_id: 'c1', emotion: 'happy', score: 0.25 },
        { ts: '2024-05-01 10:01:20', call_id: 'c2', emotion: 'angry', score: 1 },
      ],
    });
    // Only functions ClickHouse 18.16 has (no toStartOfInterval, DateTime64 or TTL there).
    const rs = await client.query({
      query: `SELECT toStartOfMinute(ts) AS minute, emotion, toUInt32(count()) AS n, avg(score) AS mean,
                     quantileExact(0.5)(score) AS median, uniqExact(call_id) AS calls
              FROM ${table}
              WHERE ts >= toDateTime('2024-05-01 10:00:00')
              GROUP BY minute, emotion
              ORDER BY minute, emotion`,
      format: 'JSONEachRow',
    });
    const rows = await rs.json<{
      minute: string;
      emotion: string;
      n: number;
      mean: number;
      median: number;
      calls: string;
    }>();
    expect(rows.map((r) => [r.minute, r.emotion, r.n, r.mean, Number(r.calls)])).toEqual([
      ['2024-05-01 10:00:00', 'angry', 2, 0.625, 1],
      ['2024-05-01 10:01:00', 'angry', 1, 1, 1],
      ['2024-05-01 10:01:00', 'happy', 1, 0.25, 1],
    ]);

    await client.command({ query: `DROP TABLE ${table}` });
    const exists = await client.query({ query: `EXISTS TABLE ${table}`, format: 'TabSeparated' });
    expect((await exists.text()).trim()).toBe('0');
  });
});
