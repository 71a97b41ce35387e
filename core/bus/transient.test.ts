import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { BusError } from './bus.ts';
import { isTransientKafkaError, retryTransient } from './transient.ts';

// The error CI's serve died of: a feed subscribing to a topic its broker's metadata did not hold yet.
const unknownTopic = () =>
  new KafkaJSProtocolError({
    type: 'UNKNOWN_TOPIC_OR_PARTITION',
    code: 3,
    retriable: true,
    message: 'This server does not host this topic-partition',
  } as never);

describe('isTransientKafkaError', () => {
  it('is true for kafkajs errors marked retriable, also inside a retries-exceeded error', () => {
    expect(isTransientKafkaError(unknownTopic())).toBe(true);
    expect(isTransientKafkaError(new KafkaJSConnectionError('Connection error: ECONNREFUSED'))).toBe(true);
    expect(
      isTransientKafkaError(
        new KafkaJSNumberOfRetriesExceeded(unknownTopic(), { retryCount: 5, retryTime: 1 }),
      ),
    ).toBe(true);
    expect(isTransientKafkaError(new BusError('TOPIC_NOT_READY', 'topic t has no partitions yet'))).toBe(
      true,
    );
  });

  it('is false for other errors', () => {
    const authz = new KafkaJSProtocolError({
      type: 'TOPIC_AUTHORIZATION_FAILED',
      code: 29,
      retriable: false,
      message: 'Not authorized to access topics',
    } as never);
    expect(isTransientKafkaError(authz)).toBe(false);
    expect(isTransientKafkaError(Object.assign(new Error('x'), { retriable: true }))).toBe(false);
    expect(isTransientKafkaError('UNKNOWN_TOPIC_OR_PARTITION')).toBe(false);
    expect(isTransientKafkaError(new BusError('JOIN_TIMEOUT', 'not joined'))).toBe(false);
  });
});

describe('retryTransient', () => {
  it('retries a transient failure until the step succeeds', async () => {
    let tries = 0;
    const retried: number[] = [];
    const value = await retryTransient(
      async () => {
        tries++;
        if (tries < 3) throw unknownTopic();
        return 'joined';
      },
      { delayMs: 1, onRetry: (_err, attempt) => retried.push(attempt) },
    );
    expect(value).toBe('joined');
    expect(tries).toBe(3);
    expect(retried).toEqual([1, 2]);
  });

  it('throws another error at once', async () => {
    let tries = 0;
    await expect(
      retryTransient(
        async () => {
          tries++;
          throw new RangeError('bad config');
        },
        { delayMs: 1 },
      ),
    ).rejects.toThrow('bad config');
    expect(tries).toBe(1);
  });

  it('gives up with the last transient error at the deadline', async () => {
    let clock = 0;
    let tries = 0;
    await expect(
      retryTransient(
        async () => {
          tries++;
          clock += 400;
          throw unknownTopic();
        },
        { delayMs: 1, deadlineMs: 1_000, now: () => clock },
      ),
    ).rejects.toThrow('does not host this topic-partition');
    expect(tries).toBe(3);
  });
});
