// The deployment's start-up commands, run without Docker: docker-compose.yml's voicepulse and sink
// commands and environment, with the compose host names swapped for the local Kafka and ClickHouse
// (deploy/local/up.sh). Each must come up, pass its own health check, and stop cleanly on SIGTERM.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse } from 'yaml';
import { saveModel } from '../../core/model/format.ts';
import { seededModel } from '../../core/model/testing/tdnn.ts';
import { type Started, startProcess, until } from '../testing/processes.ts';
import { describeWithService, requireService } from '../testing/services.ts';
import { composeEnvironment } from './testing/compose.ts';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

interface ComposeService {
  entrypoint?: string[];
  command: string[];
  environment: Record<string, string | number>;
  healthcheck: { test: string[] };
}
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};

const clickhouse = await requireService('clickhouse');
/** What an operator exports before `docker compose up` (compose requires it). */
const TOKEN = 'startup-test-token-5b0e7c1a';

await describeWithService('kafka', 'compose start-up commands without Docker', ({ brokers }) => {
  const run = `${process.pid}_${Date.now()}`;
  const modelDir = mkdtempSync(join(tmpdir(), 'vp-startup-model-'));
  const port = 18_000 + (process.pid % 1000);
  const group = `voicepulse-sink-startup-${run}`;
  const started: Started[] = [];

  /** A compose service's environment, its host names replaced by the local services. */
  const envOf = (service: ComposeService): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    const fromCompose = composeEnvironment(service.environment, { VOICEPULSE_TOKEN: TOKEN });
    for (const [k, v] of Object.entries(fromCompose))
      env[k] = v
        .replace('kafka:9092', brokers.join(','))
        .replace('http://clickhouse:8123', clickhouse?.url ?? '');
    return {
      ...env,
      NODE_ENV: 'production',
      VOICEPULSE_MODEL_DIR: modelDir,
      VOICEPULSE_THREADS: '1',
      VOICEPULSE_KAFKA_TOPIC_PREFIX: `startup_${run}_`,
      VOICEPULSE_CLICKHOUSE_DATABASE: `vp_startup_${run}`,
      VOICEPULSE_SINK_GROUP: group,
      VOICEPULSE_CACHE_DIR: join(modelDir, 'cache'),
      // The container's volume path is not this machine's to write.
      VOICEPULSE_RECORDINGS_DIR: join(modelDir, 'recordings'),
    };
  };

  beforeAll(() => {
    if (!clickhouse) throw new Error('ClickHouse is needed too (start it with deploy/local/up.sh)');
    saveModel(seededModel('startup'), modelDir);
  });

  afterAll(async () => {
    for (const s of started) if (s.child.exitCode === null) s.child.kill('SIGKILL');
    await fetch(`${clickhouse?.url}/`, { method: 'POST', body: `DROP DATABASE IF EXISTS vp_startup_${run}` });
    rmSync(modelDir, { recursive: true, force: true });
  });

  it('voicepulse: `serve` comes up healthy with the wallboard, then stops on SIGTERM', async () => {
    const service = compose.services.voicepulse as ComposeService;
    // This machine's ports instead of the container's (8080/8081 may be taken here).
    const local: Record<string, string> = { '--port': String(port), '--grpc-port': String(port + 1) };
    const args = service.command.map((a, i, all) => local[all[i - 1] ?? ''] ?? a);
    const metricsPort = port + 2;
    const env = { ...envOf(service), VOICEPULSE_LIVE_METRICS_PORT: String(metricsPort) };
    const s = startProcess(['node', 'bin/voicepulse.js', ...args], { cwd: ROOT, env });
    started.push(s);
    const healthy = async () =>
      (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.ok === true;
    await until('voicepulse /healthz', healthy, s, 60_000);
    expect((await fetch(`http://127.0.0.1:${port}/wallboard/`)).status).toBe(200);
    // Metrics: on the metrics listener without a token, on the public port only with it.
    expect(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()).toContain(
      'voicepulse_active_calls',
    );
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(401);
    // Healthy alone would also hold with the analytics pipeline down (live-only fallback).
    expect(s.output()).not.toContain('analytics failed to start');
    const tables = await fetch(`${clickhouse?.url}/`, {
      method: 'POST',
      body: `SELECT count() FROM system.tables WHERE database = 'vp_startup_${run}' AND name = 'scores'`,
    });
    expect((await tables.text()).trim()).toBe('1');
    // Stopped at once, its scoring thread maybe still loading the model: the thread is asked to end
    // once loaded (scoring/thread-close.ts), never terminated inside ONNX Runtime.
    s.child.kill('SIGTERM');
    const code = await s.exited;
    expect(code, `exited by ${s.child.signalCode ?? code}:\n${s.output().slice(-3000)}`).toBe(0);
  }, 90_000);

  it('sink: comes up, passes the compose health check, then stops on SIGTERM', async () => {
    const service = compose.services.sink as ComposeService;
    const s = startProcess([...(service.entrypoint ?? []), ...service.command], {
      cwd: ROOT,
      env: envOf(service),
    });
    started.push(s);
    await until('sink ready', () => s.output().includes('ready'), s, 60_000);
    // The compose health check itself, pointed at the local broker and this run's group.
    const [, ...check] = service.healthcheck.test;
    const argv = check.map((a) =>
      a.replace("'kafka:9092'", `'${brokers[0]}'`).replace("'voicepulse-sink'", `'${group}'`),
    );
    const health = () =>
      promisify(execFile)(argv[0] as string, argv.slice(1), { cwd: ROOT }).then(
        () => true,
        () => false,
      );
    await until('sink health check', health, s, 30_000);
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
  }, 90_000);
});
