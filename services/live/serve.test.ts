// `runServe` with the analytics: what the bus carries is stored and served by the query API, over
// REST and over gRPC on the gateway's gRPC port, with one rate limiter whose counter is on /metrics.

import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipelineFor } from '../../cli/commands/serve.ts';
import { eventually } from '../../core/bus/testing/contract.ts';
import { syntheticCall } from '../../core/bus/testing/synthetic.ts';
import { parseEnv } from '../../core/config/env.ts';
import { serveConfig } from './config.ts';
import { queryService } from './query/grpc.ts';
import { type Running, runServe, stopOnSignals } from './serve.ts';

const TOKEN = 'serve-operator-token-0123456789';
const TENANT_TOKEN = 'acme-tenant-token-0123456789';

describe('runServe with the analytics', () => {
  let dir: string;
  let running: Running;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vp-serve-'));
    const settings = parseEnv({
      VOICEPULSE_CHDB_PATH: dir,
      VOICEPULSE_RECORDINGS_DIR: join(dir, 'recordings'),
      VOICEPULSE_TOKEN: TOKEN,
      VOICEPULSE_QUERY_BURST: '2',
      VOICEPULSE_QUERY_RATE_PER_SECOND: '0.001',
      VOICEPULSE_TENANT_TOKENS: `acme=${TENANT_TOKEN}`,
    });
    const flags = { port: 0, grpcPort: 0, host: '127.0.0.1', threads: 1 };
    const config = serveConfig(flags, settings);
    running = await runServe(config, { analytics: pipelineFor(config), logLevel: 'silent' });
  });
  afterAll(async () => {
    await running?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores what the bus carries and serves it through the query API', async () => {
    const call = syntheticCall({
      tenantId: 'acme',
      callId: 'live-1',
      agentId: 'agent-9',
      queue: 'vip',
      startedAtMs: Date.now() - 60_000,
      durationMs: 10_000,
    });
    const analytics = running.analytics;
    if (!analytics) throw new Error('the analytics did not start');
    await analytics.bus.publish([...call.scores, call.summary]);
    // Wait on the store, then ask the API once (polling it would spend the rate limit under test).
    const stored = async () => {
      const count = async (table: string) =>
        Number(
          (
            await analytics.clickhouse.query<{ n: string | number }>(
              `SELECT count() AS n FROM ${table} FINAL WHERE call_id = 'live-1'`,
            )
          )[0]?.n,
        );
      return { scores: await count('scores'), summaries: await count('call_summaries') };
    };
    const expected = { scores: call.scores.length, summaries: 1 };
    expect(await eventually(stored, (c) => JSON.stringify(c) === JSON.stringify(expected))).toEqual(expected);
    const res = await fetch(`${running.app.urls.http}/api/calls/live-1/timeline?tenant=acme`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { customer: unknown[]; summary: unknown };
    expect(body.customer).toHaveLength(5);
    expect(body.summary).not.toBeNull();
  });

  it('serves the query API over gRPC next to the gateway, rate-limited together with REST', async () => {
    expect(running.analytics).toBeDefined();
    const Query = queryService();
    const client = new Query(running.app.urls.grpc ?? '', grpc.credentials.createInsecure()) as grpc.Client &
      Record<
        string,
        (req: object, md: grpc.Metadata, cb: (e: grpc.ServiceError | null, r: unknown) => void) => void
      >;
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${TENANT_TOKEN}`);
    const scorecard = () =>
      new Promise<{ code: number; res?: unknown }>((resolve) =>
        client.getAgentScorecard?.(
          { agentId: 'agent-1', range: { fromMs: Date.now() - 86_400_000 } },
          md,
          (err, res) => resolve(err ? { code: err.code } : { code: grpc.status.OK, res }),
        ),
      );
    try {
      expect(await scorecard()).toMatchObject({ code: grpc.status.OK, res: { calls: 0 } });
      const rest = await fetch(
        `${running.app.urls.http}/api/agents/agent-1/scorecard?from=${Date.now() - 86_400_000}`,
        {
          headers: { authorization: `Bearer ${TENANT_TOKEN}` },
        },
      );
      expect(rest.status).toBe(200);
      // The burst of 2 is spent across both protocols.
      expect((await scorecard()).code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      const metrics = await (
        await fetch(running.app.urls.metrics ?? '', { headers: { authorization: `Bearer ${TOKEN}` } })
      ).text();
      expect(metrics).toMatch(/voicepulse_query_rate_limited_total\{[^}]*\} 1/);
    } finally {
      client.close();
    }
  });
});

describe('stopOnSignals', () => {
  /** A service that records its stop; `log` as pino's, silent. */
  const fakeRunning = () => {
    const calls: string[] = [];
    const running = {
      log: { info: () => {}, error: () => {} },
      stop: async () => {
        calls.push('stop');
      },
    } as unknown as Running;
    return { running, calls };
  };

  // CI sent SIGTERM just after /healthz answered, before serve had its handlers: killed, not stopped.
  it('a SIGTERM while the service starts stops it once it is up, gracefully', async () => {
    const signals = new EventEmitter();
    const { running, calls } = fakeRunning();
    let up: (r: Running) => void = () => {};
    const starting = new Promise<Running>((resolve) => {
      up = resolve;
    });
    const stopped = new Promise<void>((resolve) =>
      stopOnSignals(starting, resolve, { signals, abort: () => calls.push('abort') }),
    );
    signals.emit('SIGTERM', 'SIGTERM');
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toEqual([]);
    up(running);
    await stopped;
    expect(calls).toEqual(['stop']);
  });

  it('a second signal aborts; a start that failed aborts on a signal, with nothing to stop', async () => {
    const signals = new EventEmitter();
    const { running, calls } = fakeRunning();
    stopOnSignals(running, () => calls.push('stopped'), { signals, abort: () => calls.push('abort') });
    signals.emit('SIGINT', 'SIGINT');
    signals.emit('SIGTERM', 'SIGTERM');
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toEqual(['abort', 'stop', 'stopped']);

    const failed = new EventEmitter();
    const aborted: string[] = [];
    const start = Promise.reject(new Error('port in use'));
    start.catch(() => {});
    stopOnSignals(start, () => aborted.push('stopped'), {
      signals: failed,
      abort: () => aborted.push('abort'),
    });
    failed.emit('SIGTERM', 'SIGTERM');
    await new Promise((r) => setTimeout(r, 20));
    expect(aborted).toEqual(['abort']);
  });
});
