import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { connect } from 'node:net';
import { describe } from 'vitest';

/**
 * External services the integration tests talk to. deploy/local/up.sh starts them and writes the
 * VOICEPULSE_TEST_* variables below (.ci/run exports them); unset variables fall back to the addresses
 * up.sh uses, so tests also find services a developer left running.
 */
export type ServiceName = 'clickhouse' | 'clickhouse-shards' | 'kafka' | 'chromium';

export interface ServiceEndpoints {
  clickhouse: { url: string };
  /** The two-shard cluster of deploy/local/clickhouse-cluster.sh, in remote_servers order. */
  'clickhouse-shards': { urls: string[] };
  kafka: { brokers: string[] };
  chromium: { executablePath: string; args: readonly string[] };
}

/** Flags every headless Chromium launch uses: root in CI needs no sandbox, and CI has no network to call home. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const ENV_VARS: Record<ServiceName, string> = {
  clickhouse: 'VOICEPULSE_TEST_CLICKHOUSE_URL',
  'clickhouse-shards': 'VOICEPULSE_TEST_CLICKHOUSE_SHARDS',
  kafka: 'VOICEPULSE_TEST_KAFKA_BROKERS',
  chromium: 'VOICEPULSE_TEST_CHROMIUM',
};

const DEFAULTS: Record<ServiceName, string> = {
  clickhouse: 'http://127.0.0.1:8123',
  'clickhouse-shards': 'http://127.0.0.1:8131,http://127.0.0.1:8132',
  kafka: '127.0.0.1:9092',
  chromium: '/usr/bin/chromium',
};

const PROBE_TIMEOUT_MS = 3000;

/** A VOICEPULSE_TEST_* variable holds a value that cannot be an address: a config bug, never skipped. */
export class ServiceConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly value: string,
    reason: string,
  ) {
    super(`${variable}=${JSON.stringify(value)}: ${reason}`);
    this.name = 'ServiceConfigError';
  }
}

/** A service a test needs is not reachable while running in CI. */
export class ServiceUnavailableError extends Error {
  constructor(
    readonly service: ServiceName,
    reason: string,
  ) {
    super(`${service} required in CI but unavailable: ${reason} (start it with deploy/local/up.sh)`);
    this.name = 'ServiceUnavailableError';
  }
}

function parseBroker(variable: string, value: string, broker: string): { host: string; port: number } {
  const match = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]):(\d{1,5})$/.exec(broker);
  const port = Number(match?.[2]);
  if (!match?.[1] || !(port > 0 && port < 65536)) {
    throw new ServiceConfigError(variable, value, `'${broker}' is not host:port`);
  }
  return { host: match[1].replace(/^\[|\]$/g, ''), port };
}

/** Connection info for a service from the environment (or the local default); validates, does not probe. */
export function serviceEndpoint<N extends ServiceName>(
  name: N,
  env: NodeJS.ProcessEnv = process.env,
): ServiceEndpoints[N] {
  const variable = ENV_VARS[name];
  const value = env[variable]?.trim() || DEFAULTS[name];
  // Each branch builds exactly ServiceEndpoints[N] for its N; TypeScript cannot narrow N from `name`.
  switch (name) {
    case 'clickhouse': {
      if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) {
        throw new ServiceConfigError(variable, value, 'not an http(s) URL');
      }
      return { url: value.replace(/\/+$/, '') } as ServiceEndpoints[N];
    }
    case 'clickhouse-shards': {
      const urls = value.split(',').map((u) => u.trim().replace(/\/+$/, ''));
      const bad = urls.find((u) => !URL.canParse(u) || !/^https?:$/.test(new URL(u).protocol));
      if (bad !== undefined) throw new ServiceConfigError(variable, value, `'${bad}' is not an http(s) URL`);
      return { urls } as ServiceEndpoints[N];
    }
    case 'kafka': {
      const brokers = value.split(',').map((b) => b.trim());
      for (const broker of brokers) parseBroker(variable, value, broker);
      return { brokers } as ServiceEndpoints[N];
    }
    default:
      return { executablePath: value, args: CHROMIUM_ARGS } as ServiceEndpoints[N];
  }
}

function tcpReachable(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: PROBE_TIMEOUT_MS });
    const done = (reason: string | undefined) => {
      socket.destroy();
      resolve(reason);
    };
    socket.once('connect', () => done(undefined));
    socket.once('timeout', () => done(`no TCP answer from ${host}:${port} within ${PROBE_TIMEOUT_MS} ms`));
    socket.once('error', (err) => done(`cannot connect to ${host}:${port}: ${err.message}`));
  });
}

async function pingClickHouse(base: string): Promise<string | undefined> {
  const url = `${base}/ping`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    const body = (await res.text()).trim();
    return body === 'Ok.' ? undefined : `${url} answered ${res.status} '${body.slice(0, 80)}', not 'Ok.'`;
  } catch (err) {
    return `${url} unreachable: ${(err as Error).message}`;
  }
}

/** Cheap reachability check; returns why the service is unusable, or undefined when it answers. */
export async function probeService<N extends ServiceName>(
  name: N,
  endpoint: ServiceEndpoints[N],
): Promise<string | undefined> {
  if (name === 'clickhouse') return pingClickHouse((endpoint as ServiceEndpoints['clickhouse']).url);
  if (name === 'clickhouse-shards') {
    for (const url of (endpoint as ServiceEndpoints['clickhouse-shards']).urls) {
      const reason = await pingClickHouse(url);
      if (reason) return reason;
    }
    return undefined;
  }
  if (name === 'kafka') {
    const { brokers } = endpoint as ServiceEndpoints['kafka'];
    const { host, port } = parseBroker(ENV_VARS.kafka, brokers.join(','), brokers[0]!);
    return tcpReachable(host, port);
  }
  const { executablePath } = endpoint as ServiceEndpoints['chromium'];
  try {
    await access(executablePath, constants.X_OK);
    return undefined;
  } catch {
    return `${executablePath} is not an executable`;
  }
}

/**
 * Connection info for a reachable service. When it is unreachable: throws ServiceUnavailableError
 * if env.CI is set (CI must exercise every service), otherwise warns loudly and returns undefined
 * so the caller can skip.
 */
export async function requireService<N extends ServiceName>(
  name: N,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ServiceEndpoints[N] | undefined> {
  const endpoint = serviceEndpoint(name, env);
  const reason = await probeService(name, endpoint);
  if (reason === undefined) return endpoint;
  if (env.CI) throw new ServiceUnavailableError(name, reason);
  console.warn(`[services] SKIPPING ${name} tests: ${reason} (start it with deploy/local/up.sh)`);
  return undefined;
}

/**
 * describe() against a live service: `fn` receives its connection info. Skips loudly when the
 * service is down outside CI and fails (throws at collection) inside CI. Await it at top level.
 */
export async function describeWithService<N extends ServiceName>(
  name: N,
  title: string,
  fn: (endpoint: ServiceEndpoints[N]) => void,
): Promise<void> {
  const endpoint = await requireService(name);
  if (endpoint === undefined) {
    describe.skip(title, () => {});
    return;
  }
  describe(title, () => fn(endpoint));
}
