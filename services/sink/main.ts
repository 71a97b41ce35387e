// A standalone sink process (`node bin/run-ts.js services/sink/main.ts`), configured by the same
// environment as `voicepulse serve` (docs/configuration.md: VOICEPULSE_KAFKA_BROKERS,
// VOICEPULSE_CLICKHOUSE_URL, …). Serves /metrics and /healthz on VOICEPULSE_METRICS_PORT (default
// 9464; 0 = any free port), logs JSON lines (pino) to stdout and logs `ready` once consuming.
// SIGTERM/SIGINT stop it cleanly: in-flight batches are stored and committed, then it leaves the group.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { ConfigError, parseEnv, type Settings } from '../../core/config/env.ts';
import { analyticsConfig, startAnalytics } from './analytics.ts';

const log = pino({ base: { service: 'sink' } });
let settings: Settings;
try {
  settings = parseEnv(process.env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  log.fatal({ err }, 'invalid configuration');
  process.exit(2);
}
log.level = settings.log.level ?? 'info';
for (const warning of settings.warnings) log.warn(warning);

const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'voicepulse_' });
let healthy = false;
const server = createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://sink').pathname;
  if (path === '/metrics') {
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  } else if (path === '/healthz') {
    res
      .writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' })
      .end(JSON.stringify({ ok: healthy }));
  } else {
    res.writeHead(404).end();
  }
});
const port = settings.sink.metricsPort;
await new Promise<void>((resolve, reject) => {
  server.once('error', reject);
  server.listen(port, resolve);
}).catch((err: Error) => {
  log.fatal({ err, port }, 'metrics port unavailable');
  process.exit(1);
});

const analytics = await startAnalytics(analyticsConfig(settings), {
  onError: (err) => log.warn({ err }, 'sink error'),
  registry,
});
healthy = true;
log.info({ metrics: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics` }, 'ready');

let stopping = false;
const stop = (signal: NodeJS.Signals) => {
  if (stopping) process.exit(1);
  stopping = true;
  healthy = false;
  log.info({ signal }, 'stopping');
  void analytics
    .stop()
    .then(() => new Promise((r) => server.close(r)))
    .then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
