import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../core/bus/contract.ts';
import { syntheticCall } from '../../core/bus/synthetic.ts';
import type { VoicePulseEvent } from '../../core/events/schema.ts';
import { type Pipeline, pipelineConfig, startPipeline } from './pipeline.ts';

async function counts(p: Pipeline): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of ['scores', 'alerts', 'call_summaries']) {
    const [row] = await p.clickhouse.query<{ n: string | number }>(`SELECT count() AS n FROM ${t} FINAL`);
    out[t] = Number(row?.n);
  }
  return out;
}

const TOKEN = 'acme-token-0123456789';

describe('embedded pipeline (in-process bus + chdb)', () => {
  let dir: string;
  let pipeline: Pipeline;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vp-sink-'));
    pipeline = await startPipeline(
      pipelineConfig({}, { VOICEPULSE_CHDB_PATH: dir, VOICEPULSE_TENANT_TOKENS: `acme=${TOKEN}` }),
    );
  });
  afterAll(async () => {
    await pipeline?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores every event once, also when the stream is replayed', async () => {
    const events: VoicePulseEvent[] = [];
    for (let i = 0; i < 20; i++) {
      const c = syntheticCall({
        tenantId: 'acme',
        callId: `call-${i}`,
        agentId: `agent-${i % 4}`,
        queue: i % 2 ? 'billing' : null,
        startedAtMs: 1_714_000_000_000 + i * 60_000,
        durationMs: 30_000,
        escalation: i / 20,
      });
      events.push(...c.scores, ...c.alerts, c.summary);
    }
    const expected = {
      scores: events.filter((e) => e.type === 'score').length,
      alerts: events.filter((e) => e.type === 'alert').length,
      call_summaries: 20,
    };
    expect(expected.alerts).toBeGreaterThan(0);
    await pipeline.bus.publish(events);
    await pipeline.bus.publish(events.slice(0, 100));
    const last = await eventually(
      () => counts(pipeline),
      (c) => JSON.stringify(c) === JSON.stringify(expected),
    );
    expect(last).toEqual(expected);
    const [row] = await pipeline.clickhouse.query<{ queue: string; agent: string; csat: number }>(
      `SELECT queue, agent_id AS agent, csat_proxy AS csat FROM call_summaries FINAL WHERE call_id = 'call-0'`,
    );
    expect(row).toMatchObject({ queue: '', agent: 'agent-0' });
    expect(row?.csat).toBeGreaterThanOrEqual(1);
    expect(row?.csat).toBeLessThanOrEqual(5);
  });

  it('serves what it stored through the mounted query API', async () => {
    const call = syntheticCall({
      tenantId: 'acme',
      callId: 'live-1',
      agentId: 'agent-9',
      queue: 'vip',
      startedAtMs: Date.now() - 60_000,
      durationMs: 10_000,
    });
    await pipeline.bus.publish([...call.scores, call.summary]);
    const server = createServer(async (req, res) => {
      if (!(await pipeline.query.handle(req, res))) res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      const body = await eventually(
        async () => {
          const res = await fetch(`http://127.0.0.1:${port}/api/calls/live-1/timeline`, {
            headers: { authorization: `Bearer ${TOKEN}` },
          });
          return res.status === 200
            ? ((await res.json()) as { customer: unknown[]; summary: unknown })
            : undefined;
        },
        (b) => b?.customer.length === 5 && b.summary !== null,
      );
      expect(body?.customer).toHaveLength(5);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe('pipelineConfig', () => {
  it('is embedded by default, flags win over environment variables', () => {
    const embedded = pipelineConfig({}, { HOME: '/home/x' });
    expect(embedded.kafkaBrokers).toBeUndefined();
    expect(embedded.clickhouse).toEqual({ kind: 'chdb', path: '/home/x/.cache/voicepulse/chdb' });
    const env = {
      VOICEPULSE_KAFKA: 'env:9092',
      VOICEPULSE_CLICKHOUSE: 'http://env:8123',
      VOICEPULSE_TOKEN: 'op',
    };
    const real = pipelineConfig({ kafka: 'a:9092, b:9093', clickhouse: 'http://flag:8123' }, env);
    expect(real.kafkaBrokers).toEqual(['a:9092', 'b:9093']);
    expect(real.clickhouse).toMatchObject({ kind: 'http', url: 'http://flag:8123', database: 'voicepulse' });
    expect(real.auth.operatorToken).toBe('op');
    expect(pipelineConfig({}, env).kafkaBrokers).toEqual(['env:9092']);
    expect(pipelineConfig({}, env).migrate).toBeUndefined();
    expect(pipelineConfig({}, { VOICEPULSE_CLICKHOUSE_MIGRATE: '0' }).migrate).toBe(false);
    expect(pipelineConfig({}, { VOICEPULSE_RETENTION_DAYS: '90' }).retentionDays).toBe(90);
  });

  it('rejects a malformed broker list or token map', () => {
    expect(() => pipelineConfig({ kafka: 'no-port' }, {})).toThrow(/host:port/);
    expect(() => pipelineConfig({}, { VOICEPULSE_TENANT_TOKENS: 'acme=short' })).toThrow(/tenant=token/);
    expect(() => pipelineConfig({}, { VOICEPULSE_RETENTION_DAYS: '0' })).toThrow(/positive integer/);
    expect(() => pipelineConfig({}, { VOICEPULSE_KAFKA_PARTITIONS: 'many' })).toThrow(/positive integer/);
  });
});
