// The image would start. CI has no Docker engine, so this builds the image's file set the way the
// Dockerfile does — its install layer (the files it copies first, then its `RUN … npm ci --omit=dev …`)
// and `COPY . .` of the checkout less .dockerignore — and runs the product from it: `serve` and the
// sink (the compose commands) against the test Kafka and ClickHouse score a streamed call and store it,
// and the query API returns its timeline; `start`, `simulate`, `features`, `classify`, `eval` and
// `data stats` run; `train` says in one line what a production install lacks.
//
// The install is cached by the hash of its inputs, like Docker's layer cache (the first run takes
// ~40 s more on two cores, from npm's cache with --prefer-offline), outside the checkout, so that no
// package resolves from the development node_modules.
import { execSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { playCall } from '../../clients/players.ts';
import { writeWav } from '../../core/audio/wav.ts';
import { concat, silence, voiced } from '../../core/streaming/testing/synthetic.ts';
import { imageFiles, ROOT } from '../testing/image.ts';
import { type Started, startProcess, until } from '../testing/processes.ts';
import { requireService } from '../testing/services.ts';

/** The Dockerfile's install layer: the files it copies first and its `RUN … npm ci …` step. */
function dockerfileInstall(): { inputs: string[]; command: string } {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const inputs = /^COPY (.+) \.\/$/m.exec(dockerfile)?.[1]?.split(/\s+/);
  const run = /^RUN (.*\bnpm ci .+)$/m.exec(dockerfile)?.[1];
  if (!inputs || !run) throw new Error('the Dockerfile has no `COPY … ./` + `RUN … npm ci …` install layer');
  expect(inputs).toEqual(expect.arrayContaining(['package.json', 'package-lock.json']));
  const [install = '', ...rest] = run.split('&&').map((s) => s.trim());
  expect(install).toMatch(/\bnpm ci --omit=dev\b/);
  // From npm's local cache where it can; and the developer's cache stays (no `npm cache clean`).
  const steps = [`${install} --prefer-offline`, ...rest.filter((s) => !s.startsWith('npm cache clean'))];
  return { inputs, command: steps.join(' && ') };
}

/** node_modules of a production install of this checkout (built once per hash of the install inputs). */
function productionNodeModules(): string {
  const { inputs, command } = dockerfileInstall();
  const hash = createHash('sha256').update(command);
  for (const f of inputs) hash.update(readFileSync(join(ROOT, f)));
  const key = hash.digest('hex').slice(0, 16);
  const cache = join(
    process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'),
    'voicepulse',
    'production-install',
  );
  const dir = join(cache, key);
  if (!existsSync(join(dir, 'node_modules'))) {
    mkdirSync(cache, { recursive: true });
    for (const old of readdirSync(cache))
      if (!old.includes('.partial')) rmSync(join(cache, old), { recursive: true, force: true });
    const partial = join(cache, `${key}.partial-${process.pid}`);
    mkdirSync(partial);
    for (const f of inputs) cpSync(join(ROOT, f), join(partial, f));
    execSync(command, { cwd: partial, stdio: 'pipe', timeout: 280_000 });
    try {
      renameSync(partial, dir);
    } catch {
      rmSync(partial, { recursive: true, force: true }); // another run finished the same install first
    }
  }
  return join(dir, 'node_modules');
}

const running: Started[] = [];

/** Starts `node argv…` in the production tree. */
function start(app: string, argv: string[], env: NodeJS.ProcessEnv): Started {
  const started = startProcess(['node', ...argv], { cwd: app, env });
  running.push(started);
  return started;
}

/** Runs a CLI command to its end in the production tree. */
function cli(app: string, args: string[], env: NodeJS.ProcessEnv) {
  const s = start(app, ['bin/voicepulse.js', ...args], env);
  return s.exited.then((code) => ({ code, output: s.output() }));
}

const run = `${process.pid}_${Date.now()}`;
const work = mkdtempSync(join(tmpdir(), 'vp-production-'));
const app = join(work, 'app');
const TOKEN = `production-install-${run}`;
const baseEnv: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  NODE_ENV: 'production',
  VOICEPULSE_TOKEN: TOKEN,
  VOICEPULSE_THREADS: '1',
  VOICEPULSE_CACHE_DIR: join(work, 'cache'),
  VOICEPULSE_LOG_LEVEL: 'info',
};

/** A two-channel call of synthetic speech: the customer talks, then the agent answers. */
const customer = concat(
  voiced(3000, { f0: 220, seed: 3 }),
  silence(1000),
  voiced(2000, { f0: 240, seed: 4 }),
);
const agent = concat(silence(3000), voiced(1000, { f0: 110, seed: 5 }), silence(2000));

beforeAll(() => {
  const nodeModules = productionNodeModules();
  for (const file of imageFiles()) cpSync(join(ROOT, file), join(app, file));
  symlinkSync(nodeModules, join(app, 'node_modules'));
  const mono = writeWav({ sampleRate: 8000, channels: [customer] }, 'mulaw');
  writeFileSync(join(work, 'call.wav'), writeWav({ sampleRate: 8000, channels: [customer, agent] }, 'mulaw'));
  writeFileSync(join(work, 'labels.csv'), 'file,emotion\ncall.wav,angry\n');
  mkdirSync(join(work, 'data', 'ravdess', 'Actor_01'), { recursive: true });
  writeFileSync(join(work, 'data', 'ravdess', 'Actor_01', '03-01-05-01-01-01-01.wav'), mono);
}, 300_000);

afterAll(async () => {
  for (const s of running) if (s.child.exitCode === null) s.child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

describe('production install (the image file set)', () => {
  it('leaves out what .dockerignore names and what only the devDependencies need', () => {
    for (const dir of ['training', 'test', 'bench', 'tools', 'docs', 'deploy/local'])
      expect(existsSync(join(app, dir)), dir).toBe(false);
    expect(existsSync(join(app, 'cli/main.ts'))).toBe(true);
    // What only the devDependencies need: npm's lock marks it `dev`.
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const devOnly = Object.entries(lock.packages).filter(
      ([path, p]) => p.dev && path.startsWith('node_modules/'),
    );
    expect(devOnly.map(([path]) => path)).toEqual(expect.arrayContaining(['node_modules/vega']));
    for (const [path] of devOnly) expect(existsSync(join(app, path)), path).toBe(false);
  });

  it('train says in one line what it needs', async () => {
    const r = await cli(app, ['train', '--quick'], baseEnv);
    expect(r.code).toBe(1);
    expect(r.output.trim()).toMatch(
      /^voicepulse: train needs a development install \(.*\): missing training\/[\w-]+\.ts$/,
    );
  });

  it('features, classify, eval and data stats run', async () => {
    const features = await cli(app, ['features', join(work, 'call.wav'), '--kind', 'rms', '--json'], baseEnv);
    expect(features.code, features.output).toBe(0);
    expect(JSON.parse(features.output).shape[0]).toBe(1);

    const classify = await cli(app, ['classify', join(work, 'call.wav'), '--json'], baseEnv);
    expect(classify.code, classify.output).toBe(0);
    const out = JSON.parse(classify.output) as {
      windows: { speaker: string }[];
      overall: Record<string, number>;
      speakers: Record<string, { scored: boolean }>;
    };
    // Stereo = customer + agent; the agent channel is not scored under the default tenant policy.
    expect(new Set(out.windows.map((w) => w.speaker))).toEqual(new Set(['customer']));
    expect(out.speakers.agent?.scored).toBe(false);
    expect(Object.values(out.overall).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 2);

    const evaluation = await cli(
      app,
      ['eval', '--dir', work, '--labels', join(work, 'labels.csv'), '--json'],
      baseEnv,
    );
    expect(evaluation.code, evaluation.output).toBe(0);
    expect(JSON.parse(evaluation.output)).toMatchObject({ n: 1 });

    const stats = await cli(app, ['data', 'stats', '--data', join(work, 'data'), '--json'], baseEnv);
    expect(stats.code, stats.output).toBe(0);
    expect(JSON.parse(stats.output)).toEqual([expect.objectContaining({ corpus: 'ravdess', files: 1 })]);
  }, 120_000);

  it('start plays the demo call on the embedded pipeline and exits', async () => {
    const r = await cli(app, ['start', '--exit-after-demo', '--speed', '8', '--port', '0'], baseEnv);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain('call summary');
  }, 120_000);
});

const kafka = await requireService('kafka');
const clickhouse = await requireService('clickhouse');

describe.skipIf(!kafka || !clickhouse)(
  'production install: serve and the sink on Kafka and ClickHouse',
  () => {
    const database = (name: string) => `vp_production_${run}_${name}`;
    const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
      services: Record<string, { entrypoint?: string[]; command: string[] }>;
    };
    // serve (which runs a sink of its own) and the standalone sink each get their own consumer group and
    // database, so each stores the whole call: the query API reads serve's, the test counts the sink's.
    const env = (name: string): NodeJS.ProcessEnv => ({
      ...baseEnv,
      VOICEPULSE_KAFKA_BROKERS: kafka!.brokers.join(','),
      VOICEPULSE_CLICKHOUSE_URL: clickhouse!.url,
      VOICEPULSE_KAFKA_TOPIC_PREFIX: `production_${run}_`,
      VOICEPULSE_CLICKHOUSE_DATABASE: database(name),
      VOICEPULSE_SINK_GROUP: `voicepulse-production-${name}-${run}`,
      VOICEPULSE_METRICS_PORT: '0',
    });
    const clickhouseQuery = async (sql: string) => {
      const res = await fetch(`${clickhouse!.url}/`, { method: 'POST', body: sql });
      const text = await res.text();
      if (!res.ok) throw new Error(`${sql}: ${text}`);
      return text.trim();
    };
    let serve: Started;
    let sink: Started;
    let http: string;

    afterAll(async () => {
      for (const p of ['serve', 'sink']) await clickhouseQuery(`DROP DATABASE IF EXISTS ${database(p)}`);
    });

    it('serve and the sink start from it (the compose commands)', async () => {
      const voicepulse = compose.services.voicepulse!;
      expect(voicepulse.command[0]).toBe('serve');
      serve = start(
        app,
        [
          'bin/voicepulse.js',
          'serve',
          '--host',
          '127.0.0.1',
          '--port',
          '0',
          '--kafka',
          kafka!.brokers.join(','),
          '--clickhouse',
          clickhouse!.url,
        ],
        env('serve'),
      );
      const sinkService = compose.services.sink!;
      sink = start(
        app,
        [...(sinkService.entrypoint ?? []), ...sinkService.command].filter((a) => a !== 'node'),
        env('sink'),
      );
      http = await until(
        'serve prints its URLs',
        () => /(http:\/\/\S+)\/healthz/.exec(serve.output())?.[1],
        serve,
      );
      await until('serve healthy', async () => (await fetch(`${http}/healthz`).catch(() => null))?.ok, serve);
      expect(serve.output()).not.toContain('analytics failed to start');
      const metrics = await until(
        'sink ready',
        () => /"metrics":"(http:[^"]+)".*"msg":"ready"/.exec(sink.output())?.[1],
        sink,
      );
      expect(await (await fetch(metrics)).text()).toContain('voicepulse_sink_rows_stored_total');
    }, 120_000);

    it('scores a streamed call, the sink stores it, and the query API returns its timeline', async () => {
      const callId = `production-${run}`;
      let scores = 0;
      await playCall('native', {
        url: http.replace('http://', 'ws://'),
        token: TOKEN,
        callId,
        tenant: 'production',
        agent: 'agent-1',
        queue: 'billing',
        customer,
        agentAudio: agent,
        speed: 3,
        onMessage: (text) => {
          if ((JSON.parse(text) as { type: string }).type === 'score') scores++;
        },
      });
      expect(scores).toBeGreaterThan(0);

      const timeline = await until(
        'timeline from the query API',
        async () => {
          const res = await fetch(`${http}/api/calls/${callId}/timeline?tenant=production`, {
            headers: { authorization: `Bearer ${TOKEN}` },
          });
          if (res.status === 404) return undefined;
          expect(res.status).toBe(200);
          const body = (await res.json()) as { customer: unknown[]; agent: unknown[]; summary: unknown };
          // The summary travels on its own topic: it can be stored before the call's last scores.
          return body.summary && body.customer.length + body.agent.length === scores ? body : undefined;
        },
        serve,
      );
      expect(timeline.customer.length).toBeGreaterThan(0);
      // Explanations are on by default: every customer window is explained, through Kafka and 18.16,
      // but those of a batch that started late and skipped them to catch up, which serve counts.
      const explained = timeline.customer as { explanation: { segments: unknown[] } | null }[];
      const exposition = await (
        await fetch(`${http}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
      ).text();
      const skipped = Number(/^voicepulse_unexplained_windows_total (\d+)$/m.exec(exposition)?.[1]);
      expect(explained.filter((p) => p.explanation === null)).toHaveLength(skipped);
      expect(skipped).toBeLessThan(explained.length);
      for (const p of explained) if (p.explanation) expect(p.explanation.segments).toHaveLength(10);

      // Every score the caller was sent, and only those, in the timeline and in the sink's store.
      const rows = scores;
      const stored = await until(
        'the sink stores the call',
        async () => {
          const count = Number(
            await clickhouseQuery(
              `SELECT count() FROM ${database('sink')}.scores FINAL WHERE call_id = '${callId}'`,
            ).catch(() => '0'),
          );
          return count >= rows ? count : undefined;
        },
        sink,
      );
      expect(stored).toBe(rows);
    }, 120_000);

    it('simulate streams a call against it', async () => {
      const r = await cli(
        app,
        [
          'simulate',
          '--calls',
          '1',
          '--protocol',
          'native',
          '--url',
          http.replace('http://', 'ws://'),
          '--speed',
          '8',
          '--json',
        ],
        baseEnv,
      );
      expect(r.code, r.output).toBe(0);
      expect(JSON.parse(r.output.trim().split('\n').at(-1)!)).toMatchObject({ completed: 1, failed: 0 });
    }, 120_000);

    it('serve and the sink stop cleanly on SIGTERM', async () => {
      serve.child.kill('SIGTERM');
      sink.child.kill('SIGTERM');
      expect(await serve.exited).toBe(0);
      expect(await sink.exited).toBe(0);
    }, 60_000);
  },
);
