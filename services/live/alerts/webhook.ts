// Delivers alert events to tenant webhooks: POST JSON, retried with exponential back-off on network
// errors, 5xx and 429; any other 4xx is final. Deliveries in flight are bounded; past the bound new
// alerts are refused (counted as failures) rather than queued without limit.
import type { AlertEvent } from '../../../core/events/schema.ts';

export interface WebhookOptions {
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  timeoutMs?: number;
  maxInFlight?: number;
  /** Called once per delivery that gave up, with the last error. */
  onFailure?: (url: string, alert: AlertEvent, error: string) => void;
}

export class WebhookDelivery {
  private inFlight = 0;
  private readonly pending = new Set<Promise<void>>();
  private readonly o: Required<Omit<WebhookOptions, 'onFailure'>>;

  constructor(private readonly opts: WebhookOptions = {}) {
    this.o = {
      maxAttempts: opts.maxAttempts ?? 5,
      baseDelayMs: opts.baseDelayMs ?? 200,
      maxDelayMs: opts.maxDelayMs ?? 5000,
      timeoutMs: opts.timeoutMs ?? 5000,
      maxInFlight: opts.maxInFlight ?? 1000,
    };
  }

  deliver(url: string, alert: AlertEvent): void {
    if (this.inFlight >= this.o.maxInFlight) {
      this.opts.onFailure?.(url, alert, `more than ${this.o.maxInFlight} deliveries in flight`);
      return;
    }
    this.inFlight++;
    const p = this.attempt(url, alert).finally(() => {
      this.inFlight--;
      this.pending.delete(p);
    });
    this.pending.add(p);
  }

  /** Resolves when every delivery started so far has succeeded or given up. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private async attempt(url: string, alert: AlertEvent): Promise<void> {
    const body = JSON.stringify(alert);
    let last = '';
    for (let i = 0; i < this.o.maxAttempts; i++) {
      if (i > 0) await sleep(Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** (i - 1)));
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': alert.eventId },
          body,
          signal: AbortSignal.timeout(this.o.timeoutMs),
        });
        await res.body?.cancel();
        if (res.ok) return;
        last = `HTTP ${res.status}`;
        if (res.status < 500 && res.status !== 429) break;
      } catch (err) {
        last = (err as Error).message;
      }
    }
    this.opts.onFailure?.(url, alert, last);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
