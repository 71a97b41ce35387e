// Kafka errors that pass on their own. A topic created a moment ago can still be missing from a
// broker's metadata (UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_FOR_PARTITION while KRaft elects its
// leader), and kafkajs gives up on those in `subscribe` at once rather than retrying them; a
// process starting next to a fresh cluster must wait them out instead of exiting.
// kafkajs marks the ones worth retrying `retriable`; its own retrier wraps them (retries exceeded),
// so the whole cause chain counts. So is BusError TOPIC_NOT_READY (member.ts).
import { BusError } from './bus.ts';

/** Whether `err`, or an error in its cause chain, is one kafkajs marks as passing on retry. */
export function isTransientKafkaError(err: unknown): boolean {
  if (err instanceof BusError && err.code === 'TOPIC_NOT_READY') return true;
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e.name.startsWith('KafkaJS') && (e as { retriable?: unknown }).retriable === true) return true;
  }
  return false;
}

export interface RetryTransientOptions {
  /** Give up (rethrow the last error) once this long has passed since the first try. @default 60_000 */
  deadlineMs?: number;
  /** First pause between tries, doubled up to `maxDelayMs`. @default 250 */
  delayMs?: number;
  /** @default 2_000 */
  maxDelayMs?: number;
  /** Each transient failure before its retry. */
  onRetry?: (err: Error, attempt: number) => void;
  /** @default Date.now */
  now?: () => number;
}

/** Runs `step` until it resolves, retrying transient Kafka errors until the deadline; others throw at once. */
export async function retryTransient<T>(step: () => Promise<T>, o: RetryTransientOptions = {}): Promise<T> {
  const now = o.now ?? Date.now;
  const deadline = now() + (o.deadlineMs ?? 60_000);
  let delay = o.delayMs ?? 250;
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (err) {
      if (!isTransientKafkaError(err) || now() + delay > deadline) throw err;
      o.onRetry?.(err as Error, attempt);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, o.maxDelayMs ?? 2_000);
    }
  }
}
