// Picks the bus implementation from configuration: Kafka when brokers are given, else in-process.
import type { EventBus } from './bus.ts';
import { InProcessBus, type InProcessBusOptions } from './in-process.ts';
import { KafkaBus, type KafkaBusOptions } from './kafka.ts';

export type BusConfig =
  | ({ kind: 'in-process' } & InProcessBusOptions)
  | ({ kind: 'kafka' } & KafkaBusOptions);

export class BusConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BusConfigError';
  }
}

/** Parses `host:port[,host:port…]` (the --kafka flag / VOICEPULSE_KAFKA) into broker addresses. */
export function parseBrokers(value: string): string[] {
  const brokers = value
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
  if (brokers.length === 0) throw new BusConfigError(`no Kafka broker in '${value}'`);
  for (const broker of brokers) {
    const m = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]):(\d{1,5})$/.exec(broker);
    const port = Number(m?.[2]);
    if (!m || !(port > 0 && port < 65536))
      throw new BusConfigError(`Kafka broker '${broker}' is not host:port`);
  }
  return brokers;
}

/** A ready bus: Kafka topics exist and the producer is connected before this resolves. */
export async function createBus(config: BusConfig): Promise<EventBus> {
  if (config.kind === 'in-process') return new InProcessBus(config);
  const bus = new KafkaBus(config);
  await bus.start();
  return bus;
}
