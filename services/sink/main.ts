// A standalone sink process (`node bin/run-ts.js services/sink/main.ts`), configured like
// `voicepulse serve` through VOICEPULSE_KAFKA / VOICEPULSE_CLICKHOUSE. Serves /metrics and /healthz on
// VOICEPULSE_METRICS_PORT (default 9464; 0 = any free port), logs JSON lines (pino) to stdout and
// logs `ready` once consuming. SIGTERM/SIGINT stop it cleanly: in-flight batches are stored and
// committed, then it leaves the group.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { pipelineConfig, startPipeline } from './pipeline.ts';

const log = pino({ level: process.env.VOICEPULSE_LOG_LEVEL ?? 'info', base: { service: 'sink' } });
const portSetting = process.env.VOICEPULSE_METRICS_PORT ?? '9464';
if (!/^\d{1,5}$/.test(portSetting) || Number(portSetting) > 65_535) {
  log.fatal({ VOICEPULSE_METRICS_PORT: portSetting }, 'VOICEPULSE_METRICS_PORT must be a port number');
  process.exit(2);
}

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
await new Promise<void>((resolve, reject) => {
  server.once('error', reject);
  server.listen(Number(portSetting), resolve);
}).catch((err: Error) => {
  log.fatal({ err: err.message, port: portSetting }, 'metrics port unavailable');
  process.exit(1);
});

const pipeline = await startPipeline(pipelineConfig(), {
  onError: (error) => log.warn({ err: error.message, kind: error.name }, 'sink error'),
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
  void pipeline
    .stop()
    .then(() => new Promise((r) => server.close(r)))
    .then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
