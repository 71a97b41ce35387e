// Prometheus metrics of the cluster feed.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export class FeedMetrics {
  readonly delay: Histogram;
  readonly late: Counter;
  readonly interrupted: Counter;
  readonly livePods: Gauge;
  readonly trackedCalls: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.delay = new Histogram({
      name: 'voicepulse_feed_delay_seconds',
      help: "From a score's production on any pod to its delivery to this pod's watchers",
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.late = new Counter({
      name: 'voicepulse_feed_late_events_total',
      help: "Scores and alerts that arrived after their call's summary (not shown to watchers)",
      registers,
    });
    this.interrupted = new Counter({
      name: 'voicepulse_feed_interrupted_calls_total',
      help: 'Calls of dead pods this pod ended with an interrupted summary',
      registers,
    });
    this.livePods = new Gauge({
      name: 'voicepulse_feed_live_pods',
      help: 'Live pods whose heartbeats this pod receives, itself included',
      registers,
    });
    this.trackedCalls = new Gauge({
      name: 'voicepulse_feed_tracked_calls',
      help: 'Calls of the cluster this pod keeps statistics of, should their pod die',
      registers,
    });
  }
}
