import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  DEPRECATED_NAMES,
  ENV_NAMES,
  MODEL_RUNTIMES,
  parseBrokers,
  parseEnv,
  parseInteger,
} from './env.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');

/** The one-line error parseEnv throws for `env`. */
function failure(env: Record<string, string>): string {
  try {
    parseEnv(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('INVALID_SETTING');
    return (err as Error).message;
  }
  throw new Error('parseEnv accepted a bad value');
}

describe('parseEnv', () => {
  it('gives the documented defaults for an empty environment', () => {
    const s = parseEnv({ HOME: '/home/x' });
    expect(s.live).toEqual({
      host: '0.0.0.0',
      drainSeconds: 30,
      recordingsDir: '/home/x/.cache/voicepulse/recordings',
    });
    expect(s.auth).toEqual({ tenantTokens: {}, audiohookCredentials: {}, twilioAuthTokens: {} });
    expect(s.kafka.brokers).toBeUndefined();
    expect(s.clickhouse).toEqual({
      database: 'voicepulse',
      migrate: true,
      chdbPath: '/home/x/.cache/voicepulse/chdb',
    });
    expect(s.sink).toMatchObject({ metricsPort: 9464, inServe: true });
    expect(s.model.runtime).toBe('auto');
    expect(s.data.root).toBe(resolve(ROOT, '..', 'shared', 'data'));
    expect(s.log.level).toBeUndefined();
    expect(s.bench.levels).toEqual([50, 100, 200, 300, 400]);
    expect(s.bench.runs).toBe(3);
    expect(s.warnings).toEqual([]);
    expect(parseEnv({ XDG_CACHE_HOME: '/xdg', HOME: '/home/x' }).clickhouse.chdbPath).toBe(
      '/xdg/voicepulse/chdb',
    );
    expect(parseEnv({ VOICEPULSE_CACHE_DIR: '/c' }).clickhouse.chdbPath).toBe('/c/chdb');
    expect(parseEnv({ VOICEPULSE_CACHE_DIR: '/c' }).live.recordingsDir).toBe('/c/recordings');
  });

  it('reads every section from its variables', () => {
    const s = parseEnv({
      VOICEPULSE_PORT: '9000',
      VOICEPULSE_GRPC_PORT: '0',
      VOICEPULSE_THREADS: '3',
      VOICEPULSE_TENANT_TOKENS: 'acme=acme-token-0123456789, globex=globex-token-0123456789',
      VOICEPULSE_QUERY_RATE_PER_SECOND: '0.5',
      VOICEPULSE_QUERY_BURST: '20',
      VOICEPULSE_KAFKA_BROKERS: 'a:9092, [::1]:9093',
      VOICEPULSE_KAFKA_PARTITIONS: '12',
      VOICEPULSE_CLICKHOUSE_URL: 'http://ch:8123',
      VOICEPULSE_CLICKHOUSE_MIGRATE: 'false',
      VOICEPULSE_RETENTION_DAYS: '90',
      VOICEPULSE_MODEL_RUNTIME: 'onnx',
      VOICEPULSE_DATA: 'relative/data',
      VOICEPULSE_LOG_LEVEL: 'debug',
      VOICEPULSE_BENCH_LEVELS: '5, 10',
      VOICEPULSE_BENCH_RUNS: '1',
      VOICEPULSE_DRAIN_SECONDS: '45',
      VOICEPULSE_POD_ID: 'voicepulse-live-7d9f-x2',
      VOICEPULSE_CLICKHOUSE_SHARDS: 'http://ch-1:8123, http://ch-2:8123',
      VOICEPULSE_SERVE_SINK: '0',
      VOICEPULSE_RECORDINGS_DIR: '/var/lib/voicepulse/recordings',
    });
    expect(s.live).toMatchObject({
      drainSeconds: 45,
      podId: 'voicepulse-live-7d9f-x2',
      recordingsDir: '/var/lib/voicepulse/recordings',
    });
    expect(s.clickhouse.shards).toEqual(['http://ch-1:8123', 'http://ch-2:8123']);
    expect(s.sink.inServe).toBe(false);
    expect(s.live).toMatchObject({ port: 9000, grpcPort: 0, threads: 3 });
    expect(s.auth.tenantTokens).toEqual({ acme: 'acme-token-0123456789', globex: 'globex-token-0123456789' });
    expect(s.query).toEqual({ ratePerSecond: 0.5, burst: 20 });
    expect(s.kafka).toMatchObject({ brokers: ['a:9092', '[::1]:9093'], partitions: 12 });
    expect(s.clickhouse).toMatchObject({ url: 'http://ch:8123', migrate: false });
    expect(s.sink.retentionDays).toBe(90);
    expect(s.model.runtime).toBe('onnx');
    expect(s.data.root).toBe(resolve('relative/data'));
    expect(s.log.level).toBe('debug');
    expect(s.bench.levels).toEqual([5, 10]);
    expect(s.bench.runs).toBe(1);
  });

  it('treats an empty value as unset', () => {
    const s = parseEnv({
      VOICEPULSE_PORT: '',
      VOICEPULSE_TENANT_TOKENS: '',
      VOICEPULSE_CLICKHOUSE_PASSWORD: '',
    });
    expect(s.live.port).toBeUndefined();
    expect(s.auth.tenantTokens).toEqual({});
    expect(s.clickhouse.password).toBeUndefined();
  });

  it('accepts the old names with a warning; the canonical name wins when both are set', () => {
    const old = parseEnv({ VOICEPULSE_KAFKA: 'k:9092', VOICEPULSE_CLICKHOUSE: 'http://old:8123' });
    expect(old.kafka.brokers).toEqual(['k:9092']);
    expect(old.clickhouse.url).toBe('http://old:8123');
    expect(old.warnings).toEqual([
      'VOICEPULSE_KAFKA is deprecated: use VOICEPULSE_KAFKA_BROKERS',
      'VOICEPULSE_CLICKHOUSE is deprecated: use VOICEPULSE_CLICKHOUSE_URL',
    ]);
    const both = parseEnv({ VOICEPULSE_KAFKA: 'old:9092', VOICEPULSE_KAFKA_BROKERS: 'new:9092' });
    expect(both.kafka.brokers).toEqual(['new:9092']);
    expect(both.warnings).toEqual([
      'VOICEPULSE_KAFKA is deprecated and ignored: VOICEPULSE_KAFKA_BROKERS is set',
    ]);
    // An old name's bad value is reported under the name the operator can find in the docs.
    expect(failure({ VOICEPULSE_KAFKA: 'no-port' })).toMatch(/^INVALID_SETTING: VOICEPULSE_KAFKA_BROKERS /);
  });

  it.each([
    ['VOICEPULSE_PORT', 'http', "must be an integer in 0..65535, got 'http'"],
    ['VOICEPULSE_PORT', '70000', 'must be an integer in 0..65535'],
    ['VOICEPULSE_THREADS', '-1', 'must be an integer in 0..1024'],
    ['VOICEPULSE_KAFKA_PARTITIONS', 'many', 'must be an integer in 1..10000'],
    ['VOICEPULSE_RETENTION_DAYS', '0', "must be a positive integer, got '0'"],
    ['VOICEPULSE_QUERY_BURST', 'lots', 'must be a positive integer'],
    ['VOICEPULSE_QUERY_RATE_PER_SECOND', '0', 'must be a positive number'],
    ['VOICEPULSE_KAFKA_BROKERS', 'a:9092,b', "has 'b', which is not host:port"],
    ['VOICEPULSE_KAFKA_BROKERS', ' , ', 'names no Kafka broker'],
    ['VOICEPULSE_CLICKHOUSE_URL', 'clickhouse:8123', 'must be an http:// or https:// URL'],
    ['VOICEPULSE_CLICKHOUSE_DATABASE', 'a;b', 'must be a plain identifier'],
    ['VOICEPULSE_CLICKHOUSE_MIGRATE', 'maybe', 'must be one of true, false, 1, 0'],
    ['VOICEPULSE_MODEL_RUNTIME', 'cuda', 'must be one of auto, onnx-int8, onnx, tfjs-node, tfjs-wasm'],
    ['VOICEPULSE_LOG_LEVEL', 'loud', 'must be one of fatal, error, warn'],
    ['VOICEPULSE_BENCH_PROTOCOL', 'grpc', 'must be one of twilio, native'],
    [
      'VOICEPULSE_CLICKHOUSE_SHARDS',
      'http://a:8123,b:8123',
      "has 'b:8123', which is not an http:// or https:// URL",
    ],
    ['VOICEPULSE_DRAIN_SECONDS', '-5', 'must be an integer in 0..3600'],
  ])('refuses %s=%s in one line naming it', (name, value, message) => {
    const line = failure({ [name]: value });
    expect(line).toContain(`INVALID_SETTING: ${name} ${message}`);
    expect(line).not.toContain('\n');
  });

  it.each([
    ['abc', 'is shorter than 16 characters'],
    ['change-me', 'is shorter than 16 characters'],
    ['change-me-0123456789', 'is a placeholder'],
    ['replace-me-0123456789', 'is a placeholder'],
    ['aaaaaaaaaaaaaaaaaaaa', 'is too predictable'],
  ])('refuses the weak operator token %s at start, without repeating it', (token, why) => {
    const line = failure({ VOICEPULSE_TOKEN: token });
    expect(line).toContain(`INVALID_SETTING: VOICEPULSE_TOKEN ${why}`);
    expect(line).not.toContain(token);
  });

  it('reads AudioHook credentials and Twilio auth tokens by tenant, refusing weak ones', () => {
    const secret = Buffer.from('0123456789abcdef0123456789abcdef').toString('base64');
    const s = parseEnv({
      VOICEPULSE_AUDIOHOOK_CREDENTIALS: `acme=SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh:${secret}`,
      VOICEPULSE_TWILIO_AUTH_TOKENS: 'acme=0f4c2a9e8b7d6c5f4e3d2c1b0a9f8e7d',
    });
    expect(s.auth.audiohookCredentials).toEqual({
      SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh: { tenant: 'acme', secret: Buffer.from(secret, 'base64') },
    });
    expect(s.auth.twilioAuthTokens).toEqual({ acme: '0f4c2a9e8b7d6c5f4e3d2c1b0a9f8e7d' });
    const short = failure({
      VOICEPULSE_AUDIOHOOK_CREDENTIALS: 'acme=SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh:c2hvcnQ=',
    });
    expect(short).toContain('VOICEPULSE_AUDIOHOOK_CREDENTIALS must be tenant=apiKey:base64Secret');
    expect(short).not.toContain('c2hvcnQ=');
    expect(failure({ VOICEPULSE_TWILIO_AUTH_TOKENS: 'acme=tiny' })).toContain(
      'VOICEPULSE_TWILIO_AUTH_TOKENS must be tenant=authToken,…: the secret of acme is shorter',
    );
  });

  it('reads the live limits and the metrics listener', () => {
    const s = parseEnv({
      VOICEPULSE_LIVE_METRICS_PORT: '9465',
      VOICEPULSE_LIVE_METRICS_HOST: '127.0.0.1',
      VOICEPULSE_MAX_CONNECTIONS: '50',
      VOICEPULSE_MAX_CONNECTIONS_PER_ADDRESS: '5',
      VOICEPULSE_MAX_SCORING_LAG_MS: '0',
      VOICEPULSE_MAX_SCORING_LOAD: '0.8',
    });
    expect(s.live).toMatchObject({
      metricsPort: 9465,
      metricsHost: '127.0.0.1',
      maxConnections: 50,
      maxConnectionsPerAddress: 5,
      maxScoringLagMs: 0,
      maxScoringLoad: 0.8,
    });
    for (const bad of ['-1', '11', '0.8x', '1e1'])
      expect(failure({ VOICEPULSE_MAX_SCORING_LOAD: bad })).toContain(
        'VOICEPULSE_MAX_SCORING_LOAD must be a number in 0..10',
      );
  });

  it('never repeats a secret in an error', () => {
    const line = failure({ VOICEPULSE_TENANT_TOKENS: 'acme=short-secret' });
    expect(line).toMatch(/^INVALID_SETTING: VOICEPULSE_TENANT_TOKENS must be tenant=token/);
    expect(line).not.toContain('short-secret');
  });

  it('lists the runtimes the model code knows', async () => {
    const { RUNTIMES } = await import('../model/runtime.ts');
    expect(MODEL_RUNTIMES).toEqual(['auto', ...RUNTIMES]);
  });
});

describe('flag parsers', () => {
  it('parse integers and broker lists with the settings’ rules, naming the flag', () => {
    expect(parseInteger('--port', '8080', { max: 65_535 })).toBe(8080);
    expect(() => parseInteger('--port', '8080.5')).toThrow(
      "--port must be a non-negative integer, got '8080.5'",
    );
    expect(() => parseInteger('--calls', '0', { min: 1 })).toThrow('--calls must be a positive integer');
    expect(parseBrokers('--kafka', 'a:1,b:2')).toEqual(['a:1', 'b:2']);
    expect(() => parseBrokers('--kafka', 'a')).toThrow("--kafka has 'a', which is not host:port");
  });
});

describe('configuration', () => {
  const sources = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const path = join(dir, e.name);
      if (e.isDirectory()) return sources(path);
      return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : [];
    });

  it('is never read from process.env inside core/', () => {
    const readers = sources(join(ROOT, 'core')).filter((f) =>
      readFileSync(f, 'utf8').includes('process.env'),
    );
    expect(readers.map((f) => f.slice(ROOT.length + 1))).toEqual([]);
  });

  it('is documented variable by variable in docs/configuration.md', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'configuration.md'), 'utf8');
    const documented = new Set(doc.match(/`VOICEPULSE_[A-Z0-9_]+`/g)?.map((n) => n.slice(1, -1)));
    for (const name of [...ENV_NAMES, ...Object.keys(DEPRECATED_NAMES)])
      expect(documented, name).toContain(name);
  });
});
