// `runServe` with the pipeline: the query API answers over REST and over gRPC on the gateway's gRPC
// port, with one rate limiter whose counter is on /metrics.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryService } from './query/grpc.ts';
import { serveConfig } from './config.ts';
import { type Running, runServe } from './serve.ts';

const TOKEN = 'serve-operator-token-0123456789';
const TENANT_TOKEN = 'acme-tenant-token-0123456789';

describe('runServe with the analytics pipeline', () => {
  let dir: string;
  let running: Running;
  const saved = { ...process.env };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vp-serve-'));
    Object.assign(process.env, {
      VOICEPULSE_CHDB_PATH: dir,
      VOICEPULSE_QUERY_BURST: '2',
      VOICEPULSE_QUERY_RATE_PER_SECOND: '0.001',
      VOICEPULSE_TENANT_TOKENS: `acme=${TENANT_TOKEN}`,
    });
    delete process.env.VOICEPULSE_KAFKA;
    delete process.env.VOICEPULSE_CLICKHOUSE;
    const env = { ...process.env, VOICEPULSE_TOKEN: TOKEN };
    running = await runServe(serveConfig({ port: 0, grpcPort: 0, host: '127.0.0.1', threads: 1 }, env), {
      pipeline: true,
      logLevel: 'silent',
    });
  });
  afterAll(async () => {
    await running?.stop();
    process.env = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the query API over gRPC next to the gateway, rate-limited together with REST', async () => {
    expect(running.pipeline).toBeDefined();
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
      const metrics = await (await fetch(running.app.urls.metrics ?? '')).text();
      expect(metrics).toMatch(/voicepulse_query_rate_limited_total\{[^}]*\} 1/);
    } finally {
      client.close();
    }
  });
});
