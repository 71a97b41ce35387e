// Picks the bus implementation from configuration: Kafka when brokers are given, else in-process.
import type { EventBus } from './bus.ts';
import { InProcessBus, type InProcessBusOptions } from './in-process.ts';
import { KafkaBus, type KafkaBusOptions } from './kafka.ts';

export type BusConfig =
  | ({ kind: 'in-process' } & InProcessBusOptions)
  | ({ kind: 'kafka' } & KafkaBusOptions);

/** A ready bus: Kafka topics exist and the producer is connected before this resolves. */
export async function createBus(config: BusConfig): Promise<EventBus> {
  if (config.kind === 'in-process') return new InProcessBus(config);
  const bus = new KafkaBus(config);
  await bus.start();
  return bus;
}
