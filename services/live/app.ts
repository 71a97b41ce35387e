// The composition root of the live service: one HTTP server carrying the WebSocket gateway
// (/twilio, /audiohook, /stream, /watch), /metrics, /healthz, /readyz and any mounted HTTP APIs (the
// query API under /api/; /metrics and /healthz in ops.ts, also on the metrics listener when
// configured); scoring threads; alert delivery; events to the bus. Watchers see this
// process's events, or on a shared bus the whole cluster's (feed/). stop() drains: not ready, new
// calls refused (DRAINING), open calls go on up to drainMs, then the rest end with summaries.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { AudioHookCredentials } from '../../core/auth/audiohook.ts';
import type { EventBus } from '../../core/bus/bus.ts';
import { type AlertEvent, parseEvent, type VoicePulseEvent } from '../../core/events/schema.ts';
import type { RuntimeChoice } from '../../core/model/runtime.ts';
import type { StreamingSettings } from '../../core/streaming/config.ts';
import { policyFor, type TenantPolicies } from '../../core/tenancy/policy.ts';
import { WebhookDelivery } from './alerts/webhook.ts';
import { ClusterFeed } from './feed/feed.ts';
import { HeldCalls } from './feed/held.ts';
import { FeedMetrics } from './feed/metrics.ts';
import type { FeedSource } from './feed/source.ts';
import { CallRegistry, preciseNow } from './ingress/calls.ts';
import { ConnectionLimiter } from './ingress/connections.ts';
import { AudioHookSessions } from './ingress/continuations.ts';
import { type ExtraGrpcService, type GrpcServer, startGrpcServer } from './ingress/grpc.ts';
import { EventHub } from './ingress/hub.ts';
import { LiveMetrics } from './ingress/metrics.ts';
import type { GatewayLimits, IngressContext } from './ingress/session.ts';
import { createGateway, WS_PATHS } from './ingress/websocket.ts';
import { type Health, type OpsListener, opsHandler, startOpsListener } from './ops.ts';
import { createBackend } from './scoring/backend.ts';
import type { EngineOutput } from './scoring/engine.ts';

/** An HTTP API mounted on the server; resolves true when it handled the request. */
export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

export interface AppOptions {
  port: number;
  host: string;
  /** The operator token (any tenant). */
  token: string;
  /** Per-tenant tokens: tenant id → token, each limited to its tenant. */
  tenantTokens?: Readonly<Record<string, string>>;
  /** Genesys AudioHook clients by API key (signed upgrades). */
  audiohookCredentials?: AudioHookCredentials;
  /** Twilio auth tokens by tenant (X-Twilio-Signature on /twilio). */
  twilioAuthTokens?: Readonly<Record<string, string>>;
  /** The metrics listener (/metrics and /healthz without a token); absent = none. */
  metricsListener?: { host: string; port: number };
  modelDir: string;
  /** What runs the emotion network (core/model/runtime.ts); default 'auto'. */
  modelRuntime?: RuntimeChoice;
  /** Explain every full-length scored window (core/model/explain.ts); default false. */
  explain?: boolean;
  /** Scoring threads (0 = score on the main thread). */
  threads: number;
  maxBatch?: number;
  /** Live windowing and smoothing; the window and hop are the model's (a configured one must equal them). */
  streaming: StreamingSettings;
  limits: GatewayLimits;
  policies: TenantPolicies;
  logger: Logger;
  /** Where every event goes besides the live watchers (the pipeline's bus); none = live only. */
  bus?: EventBus;
  http?: HttpHandler[];
  /** Sees every validated event after the live watchers (the wallboard's history); the cluster's with `cluster`. */
  onEvent?: (event: VoicePulseEvent) => void;
  /**
   * A shared bus (Kafka) and this pod's place on it: watchers and `onEvent` are fed every pod's
   * events from `source`, this pod announces its calls there, and ends a dead pod's calls (feed/).
   * Needs `bus`. Absent: this process's events only.
   */
  cluster?: { source: FeedSource; podId: string };
  /** stop(): how long open calls may go on (new ones refused) before they are ended; default 0. */
  drainMs?: number;
  /** Where metrics go (shared with the pipeline's); default a new one. /metrics serves it. */
  registry?: Registry;
  /** More services on the gRPC port (the query API), next to the gateway's. */
  grpcServices?: readonly ExtraGrpcService[];
  /** gRPC port (0 = any free port); absent = no gRPC. A port that cannot be bound is logged, not fatal. */
  grpcPort?: number;
  /** Each scored window's latency (ms), for benchmarks. */
  onWindowLatency?: (ms: number) => void;
  webhookBaseDelayMs?: number;
}

export interface App {
  readonly port: number;
  readonly urls: Record<string, string>;
  readonly metrics: LiveMetrics;
  readonly registry: Registry;
  /** Drains (not ready, new calls refused, open ones get drainMs to finish), then stops. */
  stop(): Promise<void>;
}

/** Publishes to the bus in small batches so a burst of scores is one bus call, not hundreds. */
class BusBatcher {
  private batch: VoicePulseEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  constructor(
    private readonly bus: EventBus,
    private readonly log: Logger,
  ) {}
  add(e: VoicePulseEvent): void {
    this.batch.push(e);
    if (this.batch.length >= 500) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), 50);
  }
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const events = this.batch;
    this.batch = [];
    if (events.length > 0)
      this.inFlight = this.inFlight.then(() =>
        this.bus
          .publish(events)
          .catch((err: Error) => this.log.error({ err, events: events.length }, 'bus publish failed')),
      );
    return this.inFlight;
  }
}

export async function startApp(o: AppOptions): Promise<App> {
  const log = o.logger;
  const registry = o.registry ?? new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'voicepulse_' });
  const metrics = new LiveMetrics(registry);
  const hub = new EventHub();
  const held = new HeldCalls();
  const feed =
    o.cluster && o.bus
      ? new ClusterFeed({
          source: o.cluster.source,
          podId: o.cluster.podId,
          deliver: (event) => {
            // Acknowledgements are the wallboards' (onEvent), not a call's event for watchers.
            if (event.type !== 'alert_ack') hub.publish(event);
            o.onEvent?.(event);
          },
          publish: (events) => o.bus!.publish(events),
          presence: () => ({ state: draining ? 'draining' : 'serving', calls: held.leases() }),
          log,
          metrics: new FeedMetrics(registry),
        })
      : undefined;
  let draining = false;
  const busBatcher = o.bus ? new BusBatcher(o.bus, log) : undefined;
  const webhooks = new WebhookDelivery({
    ...(o.webhookBaseDelayMs ? { baseDelayMs: o.webhookBaseDelayMs } : {}),
    onFailure: (url, alert, error) => {
      metrics.webhookFailures.inc();
      log.warn({ url, alertId: alert.eventId, error }, 'webhook delivery failed');
    },
  });

  const onEvents = (out: EngineOutput[]) => {
    const now = preciseNow();
    for (const { instance, event: raw, arrivedAtMs } of out) {
      // Events crossed a thread boundary: validate once here, before any consumer sees them.
      let event: VoicePulseEvent;
      try {
        event = parseEvent(raw);
      } catch (err) {
        log.error({ err, callId: raw.callId }, 'invalid event from a scoring thread dropped');
        continue;
      }
      if (arrivedAtMs !== undefined) {
        const ms = now - arrivedAtMs;
        metrics.windowLatency.observe(ms / 1000);
        calls.windowScored(ms);
        o.onWindowLatency?.(ms);
      }
      metrics.events.inc({ type: event.type });
      // Watchers see the cluster's events when there is a feed (delivered above), else this process's.
      if (!feed) {
        hub.publish(event);
        o.onEvent?.(event);
      }
      calls.emitted(instance, event);
      if (event.type === 'call_summary') held.release(instance);
      busBatcher?.add(event);
      if (event.type === 'alert') deliverAlert(event);
    }
  };
  const deliverAlert = (alert: AlertEvent) => {
    for (const url of policyFor(o.policies, alert.tenantId).webhooks) webhooks.deliver(url, alert);
  };

  const backend = createBackend({
    modelDir: o.modelDir,
    runtime: o.modelRuntime,
    explain: o.explain ?? false,
    config: o.streaming,
    threads: o.threads,
    ...(o.maxBatch ? { maxBatch: o.maxBatch } : {}),
    onEvents,
    onReady: (shard, model) => log.info({ shard, model }, 'scoring thread ready'),
    onError: (callId, message) => log.warn({ callId, message }, 'scoring error'),
    onBatch: (windows, busyMs, unexplained) => {
      // A batch that skipped its explanations to catch up is cheaper than a call's windows are:
      // admission learns a window's cost from the others.
      if (unexplained) metrics.unexplainedWindows.inc(windows);
      else calls.batchScored(windows, busyMs);
    },
    onDropped: (callId, windows) => {
      metrics.droppedWindows.inc(windows);
      calls.windowsDropped();
      log.warn({ callId, windows }, 'scoring fell behind: windows dropped');
    },
    onFailed: (reason) =>
      log.error({ reason }, 'scoring unavailable: new calls are refused and /healthz fails'),
    onRestart: (shard, calls) => {
      metrics.workerRestarts.inc();
      log.error({ shard, calls }, 'scoring thread died and was replaced');
    },
  });
  const calls = new CallRegistry(held.track(backend), o.policies, o.limits, metrics);
  const auth = {
    operatorToken: o.token,
    tenantTokens: o.tenantTokens ?? {},
    audiohookCredentials: o.audiohookCredentials ?? {},
    twilioAuthTokens: o.twilioAuthTokens ?? {},
  };
  const gatewayContext: IngressContext = {
    calls,
    hub,
    auth,
    limits: o.limits,
    log,
    metrics,
    connections: new ConnectionLimiter(o.limits),
    audiohook: new AudioHookSessions(),
  };
  const gateway = createGateway(gatewayContext);
  const health = (): Health =>
    backend.failure
      ? { ok: false, activeCalls: calls.size, failure: backend.failure }
      : { ok: true, activeCalls: calls.size };
  const ops = opsHandler({ registry, health, auth });

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      log.error({ err, url: req.url }, 'http handler failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error\n');
    });
  });
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/readyz') {
      const ready = !draining && !backend.failure;
      res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ready, draining, activeCalls: calls.size }));
      return;
    }
    if (await ops(req, res)) return;
    for (const h of o.http ?? []) if (await h(req, res)) return;
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
  };
  server.on('upgrade', (req, socket, head) => {
    if (!gateway.handleUpgrade(req, socket, head))
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
  });
  // Ready only once the feed reads the cluster (a watcher would otherwise miss the first events).
  await feed?.start();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = o.host === '0.0.0.0' || o.host === '::' ? '127.0.0.1' : o.host;
  const urls: Record<string, string> = {
    http: `http://${host}:${port}`,
    metrics: `http://${host}:${port}/metrics`,
  };
  for (const p of WS_PATHS) urls[p.slice(1)] = `ws://${host}:${port}${p}`;
  let opsListener: OpsListener | undefined;
  if (o.metricsListener) {
    opsListener = await startOpsListener(o.metricsListener.host, o.metricsListener.port, {
      registry,
      health,
    });
    urls.metrics = `http://${host}:${opsListener.port}/metrics`;
  }
  let grpcServer: GrpcServer | undefined;
  if (o.grpcPort !== undefined) {
    try {
      grpcServer = await startGrpcServer(gatewayContext, o.host, o.grpcPort, o.grpcServices);
      urls.grpc = `${host}:${grpcServer.port}`;
    } catch (err) {
      log.error({ err, port: o.grpcPort }, 'gRPC server failed to start; WebSocket paths only');
    }
  }

  let stopped = false;
  return {
    port,
    urls,
    metrics,
    registry,
    async stop() {
      if (stopped) return;
      stopped = true;
      // Drain: /readyz fails so the load balancer sends new calls elsewhere, and a new call that
      // still comes is refused with DRAINING; open calls may end on their own until the deadline.
      draining = true;
      calls.drain();
      const until = Date.now() + (o.drainMs ?? 0);
      if (held.size > 0) log.info({ calls: held.size, drainMs: o.drainMs ?? 0 }, 'draining');
      // Until every call has ended and its summary is out (a caller may be waiting for it).
      while (held.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      // Closing the streams ends the rest; their summaries are emitted before the threads stop.
      await grpcServer?.close();
      await gateway.close();
      await backend.settle(5000);
      await backend.close();
      await busBatcher?.flush();
      // Summaries are on the bus: say this pod stopped, so no other pod ends its calls again.
      await feed?.stop();
      await webhooks.settled();
      await opsListener?.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
