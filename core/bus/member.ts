// Joining a consumer group with kafkajs, for the bus's subscriptions and the live feed alike: connect,
// subscribe, run, and resolve only once the member has joined its group (so its partitions are
// assigned before the caller says it is ready), or fail loudly at a deadline. A member that fails
// on the way is disconnected before the error is thrown, so a retry starts clean.
import type { Consumer, ConsumerRunConfig, ConsumerSubscribeTopics } from 'kafkajs';

export interface JoinOptions {
  subscribe: ConsumerSubscribeTopics;
  run: ConsumerRunConfig;
  /** How long the join may take. */
  timeoutMs: number;
  /** The error thrown when it takes longer. */
  timeoutError: () => Error;
}

/** Connects, subscribes and runs `consumer`, resolving once it has joined its group. */
export async function joinMember(consumer: Consumer, o: JoinOptions): Promise<Consumer> {
  let off = () => {};
  let timer: NodeJS.Timeout | undefined;
  const joined = new Promise<void>((resolve, reject) => {
    timer = setTimeout(() => {
      off();
      reject(o.timeoutError());
    }, o.timeoutMs);
    off = consumer.on(consumer.events.GROUP_JOIN, () => {
      clearTimeout(timer);
      off();
      resolve();
    });
  });
  try {
    await consumer.connect();
    await consumer.subscribe(o.subscribe);
    await consumer.run(o.run);
    await joined;
    return consumer;
  } catch (err) {
    clearTimeout(timer);
    joined.catch(() => {});
    off();
    await consumer.disconnect().catch(() => {});
    throw err;
  }
}
