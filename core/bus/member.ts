// Joining a consumer group with kafkajs, for the bus's subscriptions and the live feed alike: connect,
// subscribe, run, and resolve only once the member has joined its group (so its partitions are
// assigned before the caller says it is ready), or fail loudly at a deadline. A member that fails on
// the way is disconnected before the error is thrown, so a retry starts clean.
// A member that is its group's only one can say more: it owns every partition, so a join that left a
// subscribed topic without partitions was decided on metadata that did not hold the topic yet (a
// topic another process is still creating). kafkajs would notice only at its next metadata refresh
// (five minutes by default), so that join fails, transiently, and is tried again.
import type { Consumer, ConsumerRunConfig, ConsumerSubscribeTopics } from 'kafkajs';
import { BusError } from './bus.ts';

export interface JoinOptions {
  subscribe: ConsumerSubscribeTopics;
  run: ConsumerRunConfig;
  /** How long the join may take. */
  timeoutMs: number;
  /** The error thrown when it takes longer. */
  timeoutError: () => Error;
  /**
   * The member is alone in its group: every subscribed topic must be assigned to it, else the join
   * fails with BusError TOPIC_NOT_READY (transient). Subscribed topics must be names, not
   * patterns. @default false
   */
  soleMember?: boolean;
}

/** Connects, subscribes and runs `consumer`, resolving once it has joined its group. */
export async function joinMember(consumer: Consumer, o: JoinOptions): Promise<Consumer> {
  const offs: (() => void)[] = [];
  const off = () => {
    for (const f of offs.splice(0)) f();
  };
  let timer: NodeJS.Timeout | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    const settle = (err?: Error) => {
      clearTimeout(timer);
      off();
      if (err) reject(err);
      else resolve();
    };
    timer = setTimeout(() => settle(o.timeoutError()), o.timeoutMs);
    offs.push(
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        if (o.soleMember) {
          const missing = o.subscribe.topics
            .map(String)
            .filter((topic) => !payload.memberAssignment[topic]?.length);
          if (missing.length > 0)
            return settle(
              new BusError(
                'TOPIC_NOT_READY',
                `consumer group ${payload.groupId} joined without partitions of ${missing.join(', ')}`,
              ),
            );
        }
        settle();
      }),
    );
  });
  try {
    await consumer.connect();
    await consumer.subscribe(o.subscribe);
    await consumer.run(o.run);
    await ready;
    return consumer;
  } catch (err) {
    clearTimeout(timer);
    ready.catch(() => {});
    off();
    await consumer.disconnect().catch(() => {});
    throw err;
  }
}

/**
 * Runs `join` until a member has joined or `stopped()` says to give up, pausing 1 s, doubled up to
 * 5 s, after each failure (reported to `onError`): the replacement of a member kafkajs will not
 * restart (issues #1445, #1630). Undefined when stopped first.
 */
export async function joinUntilStopped(
  join: () => Promise<Consumer>,
  o: { stopped: () => boolean; onError: (err: Error) => void },
): Promise<Consumer | undefined> {
  for (let delay = 1_000; !o.stopped(); delay = Math.min(delay * 2, 5_000)) {
    try {
      return await join();
    } catch (err) {
      o.onError(err instanceof Error ? err : new Error(String(err)));
      await new Promise((r) => setTimeout(r, delay));
    }
  }
  return undefined;
}
