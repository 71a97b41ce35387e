// Restarting the broker mid-stream loses nothing: the idempotent producer retries until the broker
// is back, the sink's consumer group rejoins, and ClickHouse ends with exactly the events produced.
// Runs its own single-node broker (deploy/local/kafka.sh with a private cache dir and ports, reusing
// the shared broker's jars) so the shared one other tests use is never stopped.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../core/bus/contract.ts';
import { KafkaBus } from '../../core/bus/kafka.ts';
import { syntheticCall } from '../../core/bus/synthetic.ts';
import { type ClickHouse, connectHttp } from '../../core/clickhouse/client.ts';
import type { VoicePulseEvent } from '../../core/events/schema.ts';
import { requireService } from '../../test/support/services.ts';
import { type Pipeline, pipelineConfig, startPipeline } from './pipeline.ts';

const run = promisify(execFile);
const KAFKA_VERSION = '3.9.2';
const sharedLibs = join(
  process.env.VOICEPULSE_CACHE_DIR ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'voicepulse'),
  `kafka-${KAFKA_VERSION}`,
  'libs',
);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  await new Promise((r) => server.close(r));
  return typeof address === 'object' && address ? address.port : 0;
}

const clickhouse = await requireService('clickhouse');
const kafka = await requireService('kafka');
if (kafka && !existsSync(join(sharedLibs, '.resolved'))) {
  const reason = `no Kafka jars at ${sharedLibs} (run deploy/local/up.sh)`;
  if (process.env.CI) throw new Error(reason);
  console.warn(`[services] SKIPPING broker restart test: ${reason}`);
}

if (!clickhouse || !kafka || !existsSync(join(sharedLibs, '.resolved'))) {
  describe.skip('broker restart mid-stream', () => {});
} else {
  describe('broker restart mid-stream (private broker)', () => {
    const id = randomUUID().slice(0, 8);
    const database = `vp_restart_${id}`;
    const cache = mkdtempSync(join(tmpdir(), 'vp-kafka-'));
    let env: NodeJS.ProcessEnv;
    let brokers: string[];
    let ch: ClickHouse;
    let pipeline: Pipeline | undefined;
    let producer: KafkaBus | undefined;
    const kafkaSh = (cmd: 'start' | 'stop') => run('deploy/local/kafka.sh', [cmd], { env, timeout: 120_000 });

    beforeAll(async () => {
      mkdirSync(join(cache, `kafka-${KAFKA_VERSION}`), { recursive: true });
      symlinkSync(sharedLibs, join(cache, `kafka-${KAFKA_VERSION}`, 'libs'));
      const port = await freePort();
      env = {
        ...process.env,
        VOICEPULSE_CACHE_DIR: cache,
        VOICEPULSE_KAFKA_PORT: String(port),
        VOICEPULSE_KAFKA_CONTROLLER_PORT: String(await freePort()),
      };
      brokers = [`127.0.0.1:${port}`];
      await kafkaSh('start');
      ch = await connectHttp({ url: clickhouse.url, database });
    }, 180_000);

    afterAll(async () => {
      await producer?.close().catch(() => {});
      await pipeline?.stop().catch(() => {});
      await kafkaSh('stop').catch(() => {});
      await ch?.exec(`DROP DATABASE IF EXISTS ${database}`);
      await ch?.close();
      rmSync(cache, { recursive: true, force: true });
    }, 60_000);

    it('loses and duplicates nothing while the broker restarts', async () => {
      pipeline = await startPipeline({
        ...pipelineConfig(
          { kafka: brokers.join(','), clickhouse: clickhouse.url },
          {
            VOICEPULSE_CLICKHOUSE_DATABASE: database,
            VOICEPULSE_KAFKA_PARTITIONS: '3',
          },
        ),
      });
      producer = new KafkaBus({ brokers, partitions: 3, logLevel: logLevel.NOTHING });
      await producer.start();
      const events: VoicePulseEvent[] = [];
      for (let i = 0; i < 60; i++) {
        const c = syntheticCall({
          tenantId: 'restart',
          callId: `r-${i}`,
          agentId: 'a',
          queue: 'q',
          startedAtMs: 1_714_000_000_000 + i * 1000,
          durationMs: 20_000,
        });
        events.push(...c.scores, c.summary);
      }
      const t0 = Date.now();
      const chunks = Array.from({ length: 30 }, (_, i) => events.filter((_e, j) => j % 30 === i));
      let restart: Promise<unknown> | undefined;
      for (const [i, chunk] of chunks.entries()) {
        if (i === 10) restart = kafkaSh('stop').then(() => kafkaSh('start'));
        await producer.publish(chunk);
        await new Promise((r) => setTimeout(r, 100));
      }
      await restart;
      console.info(`[broker-restart] all published after ${Date.now() - t0} ms`);
      const expected = {
        scores: events.filter((e) => e.type === 'score').length,
        call_summaries: 60,
      };
      const counts = async () => {
        const out: Record<string, number> = {};
        for (const t of Object.keys(expected)) {
          const [row] = await ch.query<{ n: string }>(`SELECT count() AS n FROM ${t} FINAL`);
          out[t] = Number(row?.n);
        }
        return out;
      };
      const final = await eventually(counts, (c) => JSON.stringify(c) === JSON.stringify(expected), 60_000);
      expect(final).toEqual(expected);
      console.info(`[broker-restart] all stored after ${Date.now() - t0} ms`);
    }, 180_000);
  });
}
