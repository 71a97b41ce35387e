import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { syntheticCall } from '../../core/bus/testing/synthetic.ts';
import { type ClickHouse, connectHttp, openChdb } from '../../core/clickhouse/client.ts';
import { migrate } from '../../core/clickhouse/migrations.ts';
import { requireService } from '../../test/testing/services.ts';
import { dropExpiredPartitions } from './retention.ts';
import { insertEvents } from './rows.ts';

const DAY = 86_400_000;
const NOW = Date.UTC(2024, 5, 30, 12);

async function check(ch: ClickHouse) {
  await migrate(ch);
  const events = [0, 5, 9, 10, 20].flatMap((daysAgo) => {
    const c = syntheticCall({
      tenantId: 't',
      callId: `c-${daysAgo}`,
      agentId: 'a',
      queue: 'q',
      startedAtMs: NOW - daysAgo * DAY,
      durationMs: 4_000,
      escalation: 1,
    });
    return [...c.scores, ...c.alerts, c.summary];
  });
  await insertEvents(ch, events);
  await expect(dropExpiredPartitions(ch, 0, NOW)).rejects.toThrow(RangeError);
  // 7 days kept (+1): the calls of 9, 10 and 20 days ago go, their summaries stay.
  expect(await dropExpiredPartitions(ch, 7, NOW)).toEqual(
    ['alerts', 'scores'].flatMap((t) => ['20240610', '20240620', '20240621'].map((d) => `${t}/${d}`)),
  );
  const calls = await ch.query<{ call_id: string }>('SELECT DISTINCT call_id FROM scores ORDER BY call_id');
  expect(calls.map((r) => r.call_id)).toEqual(['c-0', 'c-5']);
  const [summaries] = await ch.query<{ n: string | number }>('SELECT count() AS n FROM call_summaries');
  expect(Number(summaries?.n)).toBe(5);
  expect(await dropExpiredPartitions(ch, 7, NOW)).toEqual([]);
}

describe('retention by day partitions', () => {
  it('drops whole days past the limit on chdb', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vp-retention-'));
    const ch = await openChdb(dir);
    try {
      await check(ch);
    } finally {
      await ch.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('drops whole days past the limit on the ClickHouse server (18.16)', async (ctx) => {
    const server = await requireService('clickhouse');
    if (!server) return ctx.skip();
    const database = `vp_retention_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    const ch = await connectHttp({ url: server.url, database, requestTimeoutMs: 120_000 });
    try {
      await check(ch);
    } finally {
      await ch.exec(`DROP DATABASE IF EXISTS ${database}`);
      await ch.close();
    }
  });
});
