// Prometheus metrics of the live path (names carry their unit, per Prometheus conventions).
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export class LiveMetrics {
  readonly connections: Counter<'path'>;
  readonly rejected: Counter<'path' | 'reason'>;
  readonly activeCalls: Gauge;
  readonly audioSeconds: Counter<'protocol'>;
  readonly watcherDropped: Counter;
  readonly lostChunks: Counter;
  readonly windowLatency: Histogram;
  readonly events: Counter<'type'>;
  readonly workerRestarts: Counter;
  readonly droppedWindows: Counter;
  readonly unexplainedWindows: Counter;
  readonly webhookFailures: Counter;
  readonly scoringLag: Gauge;
  readonly scoringLoad: Gauge;
  readonly openConnections: Gauge<'transport'>;
  readonly ignoredMessages: Counter<'path' | 'type'>;
  private lagSeconds: () => number = () => 0;
  private loadRatio: () => number = () => 0;

  constructor(registry: Registry) {
    const registers = [registry];
    this.connections = new Counter({
      name: 'voicepulse_ws_connections_total',
      help: 'WebSocket connections accepted, by path',
      labelNames: ['path'],
      registers,
    });
    this.rejected = new Counter({
      name: 'voicepulse_ws_rejections_total',
      help: 'Connections or messages refused, by path and reason',
      labelNames: ['path', 'reason'],
      registers,
    });
    this.activeCalls = new Gauge({ name: 'voicepulse_active_calls', help: 'Calls in progress', registers });
    this.audioSeconds = new Counter({
      name: 'voicepulse_audio_received_seconds_total',
      help: 'Seconds of speaker audio received, by protocol',
      labelNames: ['protocol'],
      registers,
    });
    this.watcherDropped = new Counter({
      name: 'voicepulse_watch_dropped_messages_total',
      help: 'Messages dropped, oldest first, for consumers that read too slowly (WebSocket or gRPC)',
      registers,
    });
    this.lostChunks = new Counter({
      name: 'voicepulse_media_lost_chunks_total',
      help: 'Media chunks never received, replaced by silence',
      registers,
    });
    this.windowLatency = new Histogram({
      name: 'voicepulse_window_latency_seconds',
      help: "From a window's last sample arriving to its score leaving",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.events = new Counter({
      name: 'voicepulse_events_total',
      help: 'Events produced, by type',
      labelNames: ['type'],
      registers,
    });
    this.workerRestarts = new Counter({
      name: 'voicepulse_worker_restarts_total',
      help: 'Scoring threads replaced after dying',
      registers,
    });
    this.droppedWindows = new Counter({
      name: 'voicepulse_dropped_windows_total',
      help: 'Windows dropped unscored because scoring fell behind',
      registers,
    });
    this.unexplainedWindows = new Counter({
      name: 'voicepulse_unexplained_windows_total',
      help: 'Windows scored without their explanation because scoring was behind (explanations on)',
      registers,
    });
    const lag = () => this.lagSeconds();
    this.scoringLag = new Gauge({
      name: 'voicepulse_scoring_lag_seconds',
      help: 'Recent window latency as admission control sees it (new calls are refused past its bound)',
      registers,
      collect() {
        this.set(lag());
      },
    });
    const load = () => this.loadRatio();
    this.scoringLoad = new Gauge({
      name: 'voicepulse_scoring_load_ratio',
      help: "Share of the scoring threads' time the calls in progress claim, at one window per hop per scored speaker (new calls are refused past its bound)",
      registers,
      collect() {
        this.set(load());
      },
    });
    this.openConnections = new Gauge({
      name: 'voicepulse_open_connections',
      help: 'Connections open now, by transport (ws, grpc)',
      labelNames: ['transport'],
      registers,
    });
    this.ignoredMessages = new Counter({
      name: 'voicepulse_ignored_messages_total',
      help: 'Protocol messages of a type we do not act on (e.g. Twilio clear), by path and type',
      labelNames: ['path', 'type'],
      registers,
    });
    this.webhookFailures = new Counter({
      name: 'voicepulse_webhook_failures_total',
      help: 'Alert webhook deliveries that failed after every retry',
      registers,
    });
  }

  /** Where the scoring-lag gauge reads its value (the call registry's lag, in seconds). */
  readLagFrom(read: () => number): void {
    this.lagSeconds = read;
  }

  /** Where the scoring-load gauge reads its value (the call registry's claimed share of the threads). */
  readLoadFrom(read: () => number): void {
    this.loadRatio = read;
  }
}
