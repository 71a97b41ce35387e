// Cluster DDL derived from the single-server migrations, so the two never drift: each table becomes
// a Replicated* table `<name>_local` on every node plus a Distributed table `<name>` over the
// cluster (the names the sink and the query API use), and each materialized view reads and writes
// the local tables, so every shard aggregates the rows it stores.
//
// Raw tables are sharded by call (SHARDING_KEY, computed the same way by shardOf for writers that
// route rows themselves, as the sink does): every copy of an event, and every event of a call, lands
// on one shard, so ReplacingMergeTree deduplication and FINAL stay correct per shard.
// Replicated (the default, production): Replicated* engines and ON CLUSTER DDL, both of which need
// ZooKeeper or ClickHouse Keeper. Unreplicated (`replicated: false`, one server per shard, as
// deploy/local/clickhouse-cluster.sh runs): plain engines, and the same statements applied to each
// shard in turn (applyClusterDdl).
import { type ClickHouse, identifier } from './client.ts';
import { ClickHouseError } from './errors.ts';
import { ADD_COLUMN, loadMigrations, type Migration } from './migrations.ts';

export interface ClusterOptions {
  cluster: string;
  database: string;
  /** Replicated* tables and ON CLUSTER DDL (needs Keeper); default true. */
  replicated?: boolean;
}

/**
 * The Distributed tables' sharding expression: murmurHash2_32 of `tenant/call`, whose remainder by
 * the number of shards (equal weights) picks the shard, in remote_servers order.
 */
export const SHARDING_KEY = "murmurHash2_32(concat(tenant_id, '/', call_id))";

/** ClickHouse's murmurHash2_32 (MurmurHash2, seed 0) over the UTF-8 bytes of `text`. */
export function murmurHash2(text: string): number {
  const data = Buffer.from(text, 'utf8');
  const m = 0x5bd1e995;
  let h = data.length >>> 0;
  let i = 0;
  for (; i + 4 <= data.length; i += 4) {
    let k = data.readUInt32LE(i);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const rest = data.length - i;
  if (rest >= 3) h ^= (data[i + 2] as number) << 16;
  if (rest >= 2) h ^= (data[i + 1] as number) << 8;
  if (rest >= 1) h = Math.imul(h ^ (data[i] as number), m);
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h >>> 0;
}

/** The shard (0-based, remote_servers order) whose Distributed table holds the call's rows. */
export function shardOf(tenantId: string, callId: string, shards: number): number {
  return murmurHash2(`${tenantId}/${callId}`) % shards;
}

const CREATE_TABLE =
  /^CREATE TABLE IF NOT EXISTS (\w+) \(([\s\S]*)\) ENGINE = (\w+)(?:\(([^)]*)\))?\s*([\s\S]*)$/;
const CREATE_VIEW = /^CREATE MATERIALIZED VIEW IF NOT EXISTS (\w+) TO (\w+) AS\s*([\s\S]*)$/;

const noClusterForm = (statement: string) =>
  new ClickHouseError('NO_CLUSTER_FORM', `no cluster form for statement: ${statement.slice(0, 80)}…`);

export function clusterDdl(options: ClusterOptions, migrations: Migration[] = loadMigrations()): string[] {
  const cluster = identifier(options.cluster);
  const db = identifier(options.database);
  const replicated = options.replicated ?? true;
  const on = replicated ? ` ON CLUSTER ${cluster}` : '';
  const out = [`CREATE DATABASE IF NOT EXISTS ${db}${on}`];
  const tables: string[] = [];
  // The cluster is created from scratch: a later migration's ADD COLUMN joins the CREATE TABLE.
  const added = new Map<string, string[]>();
  for (const statement of migrations.flatMap((m) => m.statements)) {
    const add = ADD_COLUMN.exec(statement);
    if (add) added.set(add[1] as string, [...(added.get(add[1] as string) ?? []), `${add[2]} ${add[3]}`]);
  }
  for (const m of migrations) {
    for (const statement of m.statements) {
      if (ADD_COLUMN.test(statement)) continue;
      const table = CREATE_TABLE.exec(statement);
      if (table) {
        const [, name, created, engine, args, rest] = table as unknown as string[];
        const extra = added.get(name as string) ?? [];
        const columns =
          extra.length > 0 ? `${(created as string).trimEnd()},\n  ${extra.join(',\n  ')}\n` : created;
        tables.push(name as string);
        const path = `'/clickhouse/tables/{shard}/${db}/${name}_local', '{replica}'`;
        const engineArgs = replicated ? [path, ...(args ? [args] : [])].join(', ') : (args ?? '');
        out.push(
          `CREATE TABLE IF NOT EXISTS ${db}.${name}_local${on} (${columns}) ENGINE = ${replicated ? 'Replicated' : ''}${engine}${engineArgs ? `(${engineArgs})` : ''} ${rest}`.trim(),
        );
        const shardKey = /\bcall_id String\b/.test(columns as string) ? SHARDING_KEY : 'rand()';
        out.push(
          `CREATE TABLE IF NOT EXISTS ${db}.${name}${on} AS ${db}.${name}_local ENGINE = Distributed(${cluster}, ${db}, ${name}_local, ${shardKey})`,
        );
        continue;
      }
      const view = CREATE_VIEW.exec(statement);
      if (view) {
        const [, name, target, select] = view as unknown as string[];
        // The view's source is its FROM table; point it, and the target, at the local tables.
        const local = (select as string).replace(/\bFROM (\w+)\b/, (_m, source: string) => {
          if (!tables.includes(source)) throw noClusterForm(statement);
          return `FROM ${db}.${source}_local`;
        });
        out.push(
          `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.${name}${on} TO ${db}.${target}_local AS ${local}`,
        );
        continue;
      }
      throw noClusterForm(statement);
    }
  }
  return out;
}

/**
 * Applies the cluster DDL: replicated, once on the first shard (ON CLUSTER reaches the others);
 * unreplicated, every statement on every shard. Idempotent (IF NOT EXISTS).
 */
export async function applyClusterDdl(shards: readonly ClickHouse[], options: ClusterOptions): Promise<void> {
  const statements = clusterDdl(options);
  const targets = (options.replicated ?? true) ? shards.slice(0, 1) : shards;
  for (const shard of targets) for (const statement of statements) await shard.exec(statement);
}
