// Restarting the broker mid-stream loses nothing: the idempotent producer retries until the broker
// is back, the sink's consumer group rejoins, and ClickHouse ends with exactly the events produced.
// Runs its own single-node broker (deploy/local/kafka.sh with a private cache dir and ports, reusing
// the shared broker's jars) so the shared one other tests use is never stopped.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBus } from '../../core/bus/kafka.ts';
import { eventually } from '../../core/bus/testing/contract.ts';
import { syntheticCall } from '../../core/bus/testing/synthetic.ts';
import { type ClickHouse, connectHttp } from '../../core/clickhouse/client.ts';
import { parseEnv } from '../../core/config/env.ts';
import type { VoicePulseEvent } from '../../core/events/schema.ts';
import { requireService } from '../../test/testing/services.ts';
import { type Analytics, analyticsConfig, startAnalytics } from './analytics.ts';

const run = promisify(execFile);
const KAFKA_VERSION = '3.9.2';
const sharedLibs = join(
  process.env.VOICEPULSE_CACHE_DIR ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'voicepulse'),
  `kafka-${KAFKA_VERSION}`,
  'libs',
);

/**
 * A free port below Linux's ephemeral range (32768+): a port the OS picked for us could be handed
 * to some client's outgoing connection before the broker binds it, when tests run in parallel.
 */
async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    const server = createServer();
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (ok) {
      await new Promise((r) => server.close(r));
      return port;
    }
  }
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
    let analytics: Analytics | undefined;
    let producer: KafkaBus | undefined;
    const kafkaSh = async (cmd: 'start' | 'stop') => {
      // kafka.sh start can report "broker exited during start-up" for a broker that is starting:
      // it checks the new pid's command line before setsid has exec'd java (reported). A start is
      // idempotent, so retrying it adopts the starting broker.
      for (let attempt = 1; ; attempt++) {
        try {
          return await run('deploy/local/kafka.sh', [cmd], { env, timeout: 120_000 });
        } catch (err) {
          if (cmd === 'start' && attempt < 3) continue;
          const log = join(cache, `kafka-${KAFKA_VERSION}`, 'logs', 'server.log');
          const tail = existsSync(log)
            ? readFileSync(log, 'utf8').split('\n').slice(-40).join('\n')
            : '(no log)';
          throw new Error(`${(err as Error).message}\n--- ${log} ---\n${tail}`);
        }
      }
    };

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
      await analytics?.stop().catch(() => {});
      await kafkaSh('stop').catch(() => {});
      await ch?.exec(`DROP DATABASE IF EXISTS ${database}`);
      await ch?.close();
      rmSync(cache, { recursive: true, force: true });
    }, 60_000);

    const counts = async (tables: readonly string[]) => {
      const out: Record<string, number> = {};
      for (const t of tables) {
        const [row] = await ch.query<{ n: string }>(`SELECT count() AS n FROM ${t} FINAL`);
        out[t] = Number(row?.n);
      }
      return out;
    };

    it('loses and duplicates nothing while the broker restarts', async () => {
      analytics = await startAnalytics(
        analyticsConfig(
          parseEnv({
            VOICEPULSE_KAFKA_BROKERS: brokers.join(','),
            VOICEPULSE_CLICKHOUSE_URL: clickhouse.url,
            VOICEPULSE_CLICKHOUSE_DATABASE: database,
            VOICEPULSE_KAFKA_PARTITIONS: '3',
          }),
        ),
      );
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
      let restartError: unknown;
      for (const [i, chunk] of chunks.entries()) {
        if (i === 10) {
          restart = kafkaSh('stop')
            .then(() => kafkaSh('start'))
            .catch((err: unknown) => {
              restartError = err;
            });
        }
        await producer.publish(chunk);
        await new Promise((r) => setTimeout(r, 100));
      }
      await restart;
      if (restartError) throw restartError;
      console.info(`[broker-restart] all published after ${Date.now() - t0} ms`);
      const expected = {
        scores: events.filter((e) => e.type === 'score').length,
        call_summaries: 60,
      };
      const final = await eventually(
        () => counts(Object.keys(expected)),
        (c) => JSON.stringify(c) === JSON.stringify(expected),
        60_000,
      );
      expect(final).toEqual(expected);
      console.info(`[broker-restart] all stored after ${Date.now() - t0} ms`);
    }, 180_000);

    // kafkajs does not restart a consumer that could not find its group coordinator while the broker
    // was away (CI saw the sink stop storing for good after the restart above); whichever way the
    // consumer crashes during a longer outage, the sink must store what is published after it.
    it('stores what is published after a broker outage long enough to crash the sink’s consumer', async () => {
      await kafkaSh('stop');
      // kafkajs gives up reconnecting after ~10 s of refused connections (its crash log shows it).
      await new Promise((r) => setTimeout(r, 15_000));
      await kafkaSh('start');
      const before = await counts(['scores', 'call_summaries']);
      const c = syntheticCall({
        tenantId: 'restart',
        callId: 'after-outage',
        agentId: 'a',
        queue: 'q',
        startedAtMs: 1_714_100_000_000,
        durationMs: 20_000,
      });
      await producer!.publish([...c.scores, c.summary]);
      const expected = {
        scores: before.scores! + c.scores.length,
        call_summaries: before.call_summaries! + 1,
      };
      const final = await eventually(
        () => counts(Object.keys(expected)),
        (n) => JSON.stringify(n) === JSON.stringify(expected),
        60_000,
      );
      expect(final).toEqual(expected);
    }, 240_000);
  });
}
