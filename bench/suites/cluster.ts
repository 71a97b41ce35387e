// The scaled-out setup under load, next to one process in the same run. Cluster: deploy/local/
// cluster.sh (Kafka, two ClickHouse shards, two `serve` pods, two sinks); N concurrent calls, half to
// each pod, from load generators in their own processes (`voicepulse simulate`, native protocol, real
// time); a wallboard watcher on pod A. Single process: one `serve` on embedded defaults with as many
// scoring threads as the two pods together, the same N calls, its own watcher. Reported: window
// latency (a window's last sample at the gateway → its score out; the pods' Prometheus histograms,
// interpolated as histogram_quantile does), watcher latency (a score's production → a watcher, on the
// other pod for the cluster), CPU per call (% of one core, serve processes only) and peak RSS per pod.
// Needs Kafka and the shards of deploy/local/up.sh. Env: VOICEPULSE_BENCH_CLUSTER_CALLS (default 40).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { percentile } from '../../clients/load.ts';
import type { VoicePulseEvent } from '../../core/events/schema.ts';
import type { BenchSuite } from '../harness.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WATCHER_P99_LIMIT_MS = 500;
const THREADS_PER_POD = 1;

interface Pod {
  http: string;
  pid: number;
}

interface Setup {
  name: string;
  calls: number;
  completed: number;
  window: [number, number, number];
  watcher: [number, number, number];
  watchedScores: number;
  cpuPerCallPct: number;
  rssMiB: number[];
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(file, args, { cwd: ROOT, env, timeout: 300_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

async function simulate(pod: string, calls: number, tenant: string, token: string, speed = 1) {
  const r = await run(
    process.execPath,
    [
      'bin/voicepulse.js',
      'simulate',
      `--calls=${calls}`,
      '--protocol=native',
      `--url=${pod.replace('http://', 'ws://')}`,
      `--tenant=${tenant}`,
      `--token=${token}`,
      '--ramp-ms=2000',
      `--speed=${speed}`,
      '--json',
    ],
    process.env,
  );
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  if (!line.startsWith('{')) throw new Error(`simulate printed no result: ${r.stderr.slice(-500)}`);
  return JSON.parse(line) as { completed: number; callIds: string[] };
}

function watch(pod: string, tenant: string, token: string) {
  const seen: Array<{ event: VoicePulseEvent; atMs: number }> = [];
  const ws = new WebSocket(`${pod.replace('http://', 'ws://')}/watch?tenant=${tenant}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  ws.on('message', (data) => seen.push({ event: JSON.parse(data.toString()), atMs: Date.now() }));
  const opened = new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return { seen, opened, close: () => ws.close() };
}

/** CPU seconds (user + system) of a process, from /proc (clock ticks of 100 Hz). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssBytes(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
}

/** The window-latency histogram's cumulative buckets (le seconds → count). */
async function windowHistogram(pod: string, token: string): Promise<Map<number, number>> {
  const text = await (
    await fetch(`${pod}/metrics`, { headers: { authorization: `Bearer ${token}` } })
  ).text();
  const out = new Map<number, number>();
  for (const m of text.matchAll(/^voicepulse_window_latency_seconds_bucket\{le="([^"]+)"\} (\d+)/gm))
    out.set(m[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(m[1]), Number(m[2]));
  return out;
}

/** histogram_quantile over the buckets gained between two scrapes of several pods, in ms. */
function quantiles(before: Map<number, number>[], after: Map<number, number>[]): [number, number, number] {
  const bounds = [...(after[0]?.keys() ?? [])].sort((a, b) => a - b);
  const counts = bounds.map((b) =>
    after.reduce((sum, h, i) => sum + (h.get(b) ?? 0) - (before[i]?.get(b) ?? 0), 0),
  );
  const total = counts.at(-1) ?? 0;
  const q = (p: number) => {
    const rank = p * total;
    const i = counts.findIndex((c) => c >= rank);
    const upper = bounds[i] ?? Number.NaN;
    if (!Number.isFinite(upper)) return (bounds[i - 1] ?? Number.NaN) * 1000;
    const lower = i > 0 ? bounds[i - 1]! : 0;
    const below = i > 0 ? counts[i - 1]! : 0;
    return (lower + ((upper - lower) * (rank - below)) / Math.max(1, counts[i]! - below)) * 1000;
  };
  return [q(0.5), q(0.95), q(0.99)];
}

/** N calls split over `pods`, a watcher on the first; latencies from the other pods' calls when there are any. */
async function load(name: string, pods: Pod[], calls: number, token: string): Promise<Setup> {
  // Warm-up: a scoring thread loads its model with its first call; that is not the load's latency.
  await Promise.all(pods.map((p) => simulate(p.http, 1, `warmup-${randomUUID().slice(0, 8)}`, token, 5)));
  const tenant = `bench-${randomUUID().slice(0, 8)}`;
  const watcher = watch(pods[0]!.http, tenant, token);
  await watcher.opened;
  const before = await Promise.all(pods.map((p) => windowHistogram(p.http, token)));
  const cpu0 = pods.map((p) => cpuSeconds(p.pid));
  const rssPeak = pods.map((p) => rssBytes(p.pid));
  const sampler = setInterval(() => {
    pods.forEach((p, i) => {
      rssPeak[i] = Math.max(rssPeak[i]!, rssBytes(p.pid));
    });
  }, 500);
  const t0 = performance.now();
  const share = pods.map((_, i) => Math.floor(calls / pods.length) + (i < calls % pods.length ? 1 : 0));
  const results = await Promise.all(pods.map((p, i) => simulate(p.http, share[i]!, tenant, token)));
  const wallS = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  const cpu = pods.reduce((sum, p, i) => sum + cpuSeconds(p.pid) - cpu0[i]!, 0);
  // The last summaries reach the watcher shortly after the callers are done.
  await new Promise((r) => setTimeout(r, 2000));
  watcher.close();
  const after = await Promise.all(pods.map((p) => windowHistogram(p.http, token)));
  const watched = new Set((pods.length > 1 ? results.slice(1) : results).flatMap((r) => r.callIds));
  const delays = watcher.seen
    .filter((s) => s.event.type === 'score' && watched.has(s.event.callId))
    .map((s) => s.atMs - s.event.producedAtMs);
  return {
    name,
    calls,
    completed: results.reduce((n, r) => n + r.completed, 0),
    window: quantiles(before, after),
    watcher: [percentile(delays, 50), percentile(delays, 95), percentile(delays, 99)],
    watchedScores: delays.length,
    cpuPerCallPct: (cpu / wallS / calls) * 100,
    rssMiB: rssPeak.map((b) => b / 2 ** 20),
  };
}

async function untilReady(url: string, child: ChildProcess, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}`);
    if (
      await fetch(`${url}/readyz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`serve not ready at ${url}`);
}

async function singleProcess(calls: number, token: string): Promise<Setup> {
  const dir = mkdtempSync(join(tmpdir(), 'vp-bench-single-'));
  const port = 18_390;
  const child = spawn(
    process.execPath,
    [
      'bin/voicepulse.js',
      'serve',
      '--host=127.0.0.1',
      `--port=${port}`,
      '--grpc-port=0',
      `--threads=${2 * THREADS_PER_POD}`,
    ],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        VOICEPULSE_TOKEN: token,
        VOICEPULSE_CHDB_PATH: join(dir, 'chdb'),
        VOICEPULSE_LOG_LEVEL: 'warn',
      },
      stdio: 'ignore',
    },
  );
  const http = `http://127.0.0.1:${port}`;
  try {
    await untilReady(http, child);
    return await load('one process (in-process bus, chdb)', [{ http, pid: child.pid! }], calls, token);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

async function cluster(calls: number, token: string): Promise<Setup> {
  const id = randomUUID().slice(0, 8);
  const dir = mkdtempSync(join(tmpdir(), 'vp-bench-cluster-'));
  const env = {
    ...process.env,
    VOICEPULSE_CLUSTER_DIR: dir,
    VOICEPULSE_CLUSTER_PORT_BASE: '18280',
    VOICEPULSE_KAFKA_TOPIC_PREFIX: `vp-bench-${id}.`,
    VOICEPULSE_CLICKHOUSE_DATABASE: `vp_bench_${id}`,
    VOICEPULSE_SINK_GROUP: `vp-bench-${id}-sink`,
    VOICEPULSE_TOKEN: token,
    VOICEPULSE_THREADS: String(THREADS_PER_POD),
    VOICEPULSE_LOG_LEVEL: 'warn',
  };
  const script = join(ROOT, 'deploy/local/cluster.sh');
  const started = await run(script, ['start'], env);
  if (started.code !== 0)
    throw new Error(
      `deploy/local/cluster.sh start failed (Kafka and the shards: deploy/local/up.sh):\n${started.stderr.slice(-2000)}`,
    );
  try {
    const pod = (name: string, port: number): Pod => ({
      http: `http://127.0.0.1:${port}`,
      pid: Number(readFileSync(join(dir, `${name}.pid`), 'utf8')),
    });
    return await load(
      'two pods on Kafka, two sinks, two shards',
      [pod('pod-a', 18_280), pod('pod-b', 18_282)],
      calls,
      token,
    );
  } finally {
    await run(script, ['stop'], env);
    for (const shard of ['8131', '8132'])
      await fetch(`http://127.0.0.1:${shard}/`, {
        method: 'POST',
        body: `DROP DATABASE IF EXISTS vp_bench_${id}`,
      }).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '-');

export const clusterSuite: BenchSuite = {
  name: 'cluster',
  description:
    'N calls across two serve pods on Kafka vs one process: window and watcher latency, CPU and memory',
  async run(settings) {
    const calls = settings.bench.clusterCalls;
    const token = `bench-${randomUUID()}`;
    const setups = [await singleProcess(calls, token), await cluster(calls, token)];
    const rows = setups.map((s) => [
      s.name,
      String(s.calls),
      String(s.completed),
      ...s.window.map(ms),
      ...s.watcher.map(ms),
      s.cpuPerCallPct.toFixed(2),
      s.rssMiB.map((m) => m.toFixed(0)).join(' / '),
    ]);
    const clustered = setups[1]!;
    return {
      columns: [
        'setup',
        'calls',
        'done',
        'window p50',
        'p95',
        'p99 ms',
        'watcher p50',
        'p95',
        'p99 ms',
        'CPU %/call',
        'peak RSS MiB/pod',
      ],
      rows,
      notes: [
        `${calls} concurrent copies of the demo call (25 s, RAVDESS), native protocol, real time; load generators in their own processes; ${THREADS_PER_POD} scoring thread per pod, ${2 * THREADS_PER_POD} in the single process`,
        'window latency: last sample of a window at the gateway → its score out (voicepulse_window_latency_seconds, interpolated within buckets as histogram_quantile does)',
        `watcher latency: a score's production (producedAtMs) → a wallboard watcher; cluster: pod B's scores on a watcher of pod A (${clustered.watchedScores} scores), through Kafka; one process: the in-process hub`,
        "CPU: the serve processes only (Kafka, ClickHouse and the sinks not counted), % of one core per call; everything shares this machine's cores",
      ],
      verdicts: [
        {
          label: `watcher on another pod p99 <= ${WATCHER_P99_LIMIT_MS} ms`,
          ok: clustered.watcher[2] <= WATCHER_P99_LIMIT_MS,
          detail: `p99 ${ms(clustered.watcher[2])} ms over ${clustered.watchedScores} scores`,
        },
        {
          label: 'every call completed in both setups',
          ok: setups.every((s) => s.completed === s.calls),
          detail: setups.map((s) => `${s.completed}/${s.calls}`).join(', '),
        },
      ],
    };
  },
};
