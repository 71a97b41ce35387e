import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedClickHouse, serverClickHouse } from '../../test/testing/clickhouse.ts';
import type { ClickHouse } from './client.ts';
import { loadMigrations, migrate, parseMigration } from './migrations.ts';
import { SQLISH } from './testing/sqlish.ts';

/** ALTER … DELETE is a mutation, applied in the background. */
async function eventuallyGone(ch: ClickHouse, version: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const rows = await ch.query('SELECT version FROM schema_migrations WHERE version = {v:String}', {
      v: version,
    });
    if (rows.length === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`schema_migrations still lists ${version}`);
}

function clickhouseSuite(
  name: string,
  open: () => Promise<{ ch: ClickHouse; cleanup: () => Promise<void> }>,
) {
  describe(name, () => {
    let ch: ClickHouse;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ ch, cleanup } = await open());
    });
    afterAll(async () => {
      await cleanup?.();
    });

    it('applies every migration once and is idempotent', async () => {
      const all = loadMigrations().map((m) => m.version);
      expect(await migrate(ch)).toEqual(all);
      expect(await migrate(ch)).toEqual([]);
      const tables = (
        await ch.query<{ name: string }>('SELECT name FROM system.tables WHERE database = currentDatabase()')
      ).map((r) => r.name);
      for (const t of [
        'scores',
        'alerts',
        'call_summaries',
        'score_minutes',
        'call_minutes',
        'alert_minutes',
        'sink_positions',
      ]) {
        expect(tables).toContain(t);
      }
    });

    it('re-applies a migration interrupted after its ADD COLUMNs (no IF NOT EXISTS on 18.16)', async () => {
      const last = loadMigrations().find((m) => m.statements.some((s) => s.startsWith('ALTER TABLE')));
      expect(last).toBeDefined();
      await ch.exec('ALTER TABLE schema_migrations DELETE WHERE version = {v:String}', { v: last!.version });
      await ch.exec('OPTIMIZE TABLE schema_migrations FINAL');
      await eventuallyGone(ch, last!.version);
      expect(await migrate(ch)).toEqual([last!.version]);
      const columns = (await ch.query<{ name: string }>('DESCRIBE TABLE scores')).map((r) => r.name);
      expect(columns.filter((c) => c === 'source')).toHaveLength(1);
    });

    it('binds SQL-ish strings as plain values', async () => {
      for (const s of SQLISH) {
        const rows = await ch.query<{ s: string; n: string | number }>(
          'SELECT {s:String} AS s, length({s:String}) AS n',
          { s },
        );
        expect(rows).toEqual([{ s, n: expect.anything() }]);
        expect(Number(rows[0]?.n)).toBe(Buffer.byteLength(s));
      }
    });

    it('collapses a replayed event to one row and computes the CSAT proxy', async () => {
      const row = {
        event_id: 'c1:summary',
        tenant_id: 't1',
        call_id: 'c1',
        agent_id: 'a1',
        queue: 'q',
        produced_at_ms: 1_714_000_060_000,
        started_at_ms: 1_714_000_000_000,
        ended_at_ms: 1_714_000_060_000,
        duration_ms: 60_000,
        customer_scored: 1,
        customer_start_valence: -0.5,
        customer_end_valence: 0.5,
        customer_start_frustration: 0.6,
        customer_end_frustration: 0.2,
      };
      await ch.insert('call_summaries', [row]);
      await ch.insert('call_summaries', [row]);
      const rows = await ch.query<{ n: string | number; csat: number }>(
        'SELECT count() AS n, any(csat_proxy) AS csat FROM call_summaries FINAL WHERE tenant_id = {t:String}',
        { t: 't1' },
      );
      expect(Number(rows[0]?.n)).toBe(1);
      // level 0.775, change 0.45: 1 + 4 * (0.6 * 0.775 + 0.4 * 0.725) = 4.02
      expect(rows[0]?.csat).toBeCloseTo(4.02, 4);
      await ch.insert('alerts', [
        {
          event_id: 'a1',
          tenant_id: 't1',
          call_id: 'c1',
          produced_at_ms: 1_714_000_030_000,
          rule: 'agent_anger',
          speaker: 'agent',
          severity: 'critical',
          message: 'x',
        },
        {
          event_id: 'a2',
          tenant_id: 't1',
          call_id: 'c1',
          produced_at_ms: 1_714_000_031_000,
          rule: 'agent_anger',
          speaker: 'agent',
          severity: 'warning',
          message: 'y',
        },
      ]);
      const alertMinutes = await ch.query<{ n: string | number; critical: string | number }>(
        'SELECT uniqMerge(alerts) AS n, uniqIfMerge(critical) AS critical FROM alert_minutes',
      );
      expect(alertMinutes.map((r) => [Number(r.n), Number(r.critical)])).toEqual([[2, 1]]);
      const minutes = await ch.query<{ calls: string | number }>(
        'SELECT uniqMerge(calls) AS calls FROM call_minutes',
      );
      expect(Number(minutes[0]?.calls)).toBe(1);
    });
  });
}

const onServer = await serverClickHouse('vp_test');
if (onServer) clickhouseSuite('HTTP driver (real ClickHouse server)', onServer);
else describe.skip('HTTP driver (real ClickHouse server)', () => {});

clickhouseSuite('chdb driver (embedded)', embeddedClickHouse('vp-chdb'));

describe('parseMigration', () => {
  it('splits on line-final semicolons and drops comment lines', () => {
    expect(parseMigration('-- c; x\nCREATE TABLE a (x String);\n\nSELECT 1;\n')).toEqual([
      'CREATE TABLE a (x String)',
      'SELECT 1',
    ]);
  });
});
