// Cluster DDL derived from the single-server migrations, so the two never drift: each table becomes
// a Replicated* table `<name>_local` on every node plus a Distributed table `<name>` over the
// cluster (the names the sink and the query API use), and each materialized view reads and writes
// the local tables, so every shard aggregates the rows it stores.
//
// Raw tables are sharded by cityHash64(tenant_id, call_id): every copy of an event, and every event
// of a call, lands on one shard, so ReplacingMergeTree deduplication and FINAL stay correct per shard.
// Distributed DDL (ON CLUSTER) needs ZooKeeper, which the Replicated engines need anyway.
import { identifier } from './client.ts';
import { ClickHouseError } from './errors.ts';
import { ADD_COLUMN, loadMigrations, type Migration } from './migrations.ts';

export interface ClusterOptions {
  cluster: string;
  database: string;
}

const CREATE_TABLE =
  /^CREATE TABLE IF NOT EXISTS (\w+) \(([\s\S]*)\) ENGINE = (\w+)(?:\(([^)]*)\))?\s*([\s\S]*)$/;
const CREATE_VIEW = /^CREATE MATERIALIZED VIEW IF NOT EXISTS (\w+) TO (\w+) AS\s*([\s\S]*)$/;

const noClusterForm = (statement: string) =>
  new ClickHouseError('NO_CLUSTER_FORM', `no cluster form for statement: ${statement.slice(0, 80)}…`);

export function clusterDdl(options: ClusterOptions, migrations: Migration[] = loadMigrations()): string[] {
  const cluster = identifier(options.cluster);
  const db = identifier(options.database);
  const out = [`CREATE DATABASE IF NOT EXISTS ${db} ON CLUSTER ${cluster}`];
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
        out.push(
          `CREATE TABLE IF NOT EXISTS ${db}.${name}_local ON CLUSTER ${cluster} (${columns}) ENGINE = Replicated${engine}(${path}${args ? `, ${args}` : ''}) ${rest}`.trim(),
        );
        const shardKey = /\bcall_id String\b/.test(columns as string)
          ? 'cityHash64(tenant_id, call_id)'
          : 'rand()';
        out.push(
          `CREATE TABLE IF NOT EXISTS ${db}.${name} ON CLUSTER ${cluster} AS ${db}.${name}_local ENGINE = Distributed(${cluster}, ${db}, ${name}_local, ${shardKey})`,
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
          `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.${name} ON CLUSTER ${cluster} TO ${db}.${target}_local AS ${local}`,
        );
        continue;
      }
      throw noClusterForm(statement);
    }
  }
  return out;
}
