// Retention for the raw score and alert tables. ClickHouse 18.16 has no table TTL (19.6+), and the
// same schema runs everywhere, so retention drops whole day partitions older than the limit: the
// tables are partitioned by day, so this is cheap and exact to the day.
import type { ClickHouse } from '../../core/clickhouse/client.ts';
import { quoteString } from '../../core/clickhouse/params.ts';

/** The day-partitioned tables retention applies to (summaries and aggregates are small and kept). */
export const RETAINED_TABLES = ['scores', 'alerts'] as const;

const DAY_MS = 86_400_000;

/** `YYYYMMDD` (UTC) of an instant: the partition id ClickHouse gives a `toDate` partition. */
function dayId(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10).replaceAll('-', '');
}

/**
 * Drops day partitions wholly older than `retentionDays` (one extra day is kept, so a server time
 * zone other than UTC never cuts into the window). Returns the `table/partition` dropped.
 * `suffix` '_local': a cluster shard's own tables.
 */
export async function dropExpiredPartitions(
  ch: ClickHouse,
  retentionDays: number,
  nowMs = Date.now(),
  suffix: '' | '_local' = '',
): Promise<string[]> {
  if (!Number.isInteger(retentionDays) || retentionDays < 1) {
    throw new RangeError(`retention must be a whole number of days ≥ 1, got ${retentionDays}`);
  }
  const cutoff = dayId(nowMs - (retentionDays + 1) * DAY_MS);
  const parts = await ch.query<{ table: string; id: string }>(
    `SELECT DISTINCT table, partition_id AS id FROM system.parts
     WHERE database = currentDatabase() AND active AND table IN ({a:String}, {b:String}) AND partition_id < {cutoff:String}
     ORDER BY table, id`,
    { cutoff, a: `scores${suffix}`, b: `alerts${suffix}` },
  );
  const dropped: string[] = [];
  for (const { table, id } of parts) {
    // Both come from system.parts, and are checked anyway before going into DDL text.
    const base = suffix ? table.slice(0, -suffix.length) : table;
    if (!(RETAINED_TABLES as readonly string[]).includes(base) || !/^\d{8}$/.test(id)) continue;
    await ch.exec(`ALTER TABLE ${table} DROP PARTITION ID ${quoteString(id)}`);
    dropped.push(`${table}/${id}`);
  }
  return dropped;
}
