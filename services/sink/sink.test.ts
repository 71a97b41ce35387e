import { mkdtempSync, rmSync } from 'node:fs';
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

describe('embedded pipeline (in-process bus + chdb)', () => {
  let dir: string;
  let pipeline: Pipeline;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vp-sink-'));
    pipeline = await startPipeline(pipelineConfig({}, { VOICEPULSE_CHDB_PATH: dir }));
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
});
