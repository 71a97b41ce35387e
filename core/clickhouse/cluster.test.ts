import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { clusterDdl, murmurHash2, SHARDING_KEY, shardOf } from './cluster.ts';
import { loadMigrations } from './migrations.ts';

const COMMITTED = new URL('../../deploy/clickhouse/cluster/voicepulse.sql', import.meta.url);

describe('clusterDdl', () => {
  const ddl = clusterDdl({ cluster: 'voicepulse', database: 'voicepulse' });

  it('turns every table into a replicated local table plus a distributed table, and views onto the local tables', () => {
    const statements = loadMigrations().flatMap((m) => m.statements);
    const tables = statements.filter((s) => s.startsWith('CREATE TABLE')).length;
    const views = statements.filter((s) => s.startsWith('CREATE MATERIALIZED VIEW')).length;
    expect(ddl).toHaveLength(1 + 2 * tables + views);
    expect(ddl).toContainEqual(
      expect.stringMatching(
        /^CREATE TABLE IF NOT EXISTS voicepulse\.call_summaries_local ON CLUSTER voicepulse \([\s\S]*\) ENGINE = ReplicatedReplacingMergeTree\('\/clickhouse\/tables\/\{shard\}\/voicepulse\/call_summaries_local', '\{replica\}', produced_at_ms\) PARTITION BY/,
      ),
    );
    expect(ddl).toContain(
      `CREATE TABLE IF NOT EXISTS voicepulse.scores ON CLUSTER voicepulse AS voicepulse.scores_local ENGINE = Distributed(voicepulse, voicepulse, scores_local, ${SHARDING_KEY})`,
    );
    const view = ddl.find((s) => s.includes('score_minutes_mv'));
    expect(view).toMatch(/TO voicepulse\.score_minutes_local AS[\s\S]*FROM voicepulse\.scores_local\b/);
    expect(() => clusterDdl({ cluster: 'x; DROP', database: 'voicepulse' })).toThrow(
      expect.objectContaining({ code: 'BAD_IDENTIFIER' }),
    );
  });

  it('has an unreplicated form for shards without Keeper: plain engines, no ON CLUSTER', () => {
    const plain = clusterDdl({ cluster: 'local', database: 'vp', replicated: false });
    expect(plain).toHaveLength(ddl.length);
    expect(plain.join('\n')).not.toMatch(/ON CLUSTER|Replicated/);
    expect(plain).toContainEqual(
      expect.stringMatching(
        /^CREATE TABLE IF NOT EXISTS vp\.call_summaries_local \([\s\S]*\) ENGINE = ReplacingMergeTree\(produced_at_ms\) PARTITION BY/,
      ),
    );
    expect(plain).toContainEqual(
      expect.stringMatching(
        /^CREATE TABLE IF NOT EXISTS vp\.sink_positions_local \([\s\S]*\) ENGINE = AggregatingMergeTree ORDER BY/,
      ),
    );
  });

  it("routes a call to a shard as the sharding key does (MurmurHash2's reference values)", () => {
    // MurmurHash2 (seed 0) of '' and 'abc', as ClickHouse's murmurHash2_32 gives them (also checked in
    // test/infra/clickhouse-cluster.test.ts on a non-ASCII id).
    expect([murmurHash2(''), murmurHash2('abc')]).toEqual([0, 324500635]);
    const spread = [0, 0];
    for (let i = 0; i < 1000; i++) spread[shardOf('acme', `call-${i}`, 2)]!++;
    expect(Math.min(...spread)).toBeGreaterThan(400);
  });

  it('matches the committed deploy/clickhouse/cluster/voicepulse.sql (regenerate: node bin/run-ts.js core/clickhouse/cluster-ddl.ts > deploy/clickhouse/cluster/voicepulse.sql)', () => {
    expect(readFileSync(COMMITTED, 'utf8')).toBe(`${ddl.join(';\n\n')};\n`);
  });
});
