// Every VOICEPULSE_* environment variable the product reads, in one zod schema. Each entry point
// (the CLI, the sink process, the bench) parses its environment with parseEnv once and passes the typed
// sections down; no other module reads the environment, and core/ never does (a test checks).
// Policies: an empty value counts as unset (manifests write `NAME: ""` for "not set"); a bad value
// is one ConfigError line naming the variable (a secret's value is never echoed); an old name of a
// setting still works, with a warning in `warnings`, and the canonical name wins when both are set.
// Defaults: fields that always have a value carry it here (`@default`); optional fields are unset
// unless configured and their `@default` says what the component that reads them does instead.
// The table of variables for operators: docs/configuration.md (a test keeps it complete).
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { MAX_AUDIO_FILE_BYTES } from '../audio/file.ts';
import {
  type AudioHookCredential,
  AudioHookCredentialsError,
  parseAudioHookCredentials,
} from '../auth/audiohook.ts';
import { AuthConfigError, parseTenantSecrets, parseTenantTokens, secretWeakness } from '../auth/tokens.ts';
import { VoicePulseError } from '../errors.ts';
import { RUNTIMES } from '../model/runtime.ts';

export type ConfigErrorCode =
  /** An environment variable or command-line flag holds a value it cannot have. */
  | 'INVALID_SETTING'
  /** The tenant policies file is unreadable or invalid. */
  | 'INVALID_POLICIES'
  /** No emotion model where the configuration points. */
  | 'NO_MODEL';

export class ConfigError extends VoicePulseError<ConfigErrorCode> {}

export interface LiveSettings {
  /** HTTP / WebSocket port of `voicepulse serve`; 0 = any free port. `VOICEPULSE_PORT`
   * @default 8080 (DEFAULT_PORT in services/live/config.ts; `voicepulse start`: any free port) */
  port?: number;
  /** gRPC port. `VOICEPULSE_GRPC_PORT`
   * @default the HTTP port + 1 (any free port when the HTTP port is 0) */
  grpcPort?: number;
  /** Listen address. `VOICEPULSE_HOST`
   * @default '0.0.0.0' */
  host: string;
  /** Scoring threads (0 = score on the main thread). `VOICEPULSE_THREADS`
   * @default available cores − 1; one per core on 2 cores or fewer */
  threads?: number;
  /** Tenant policies JSON file (agent scoring opt-in, alert rules, webhooks). `VOICEPULSE_POLICIES`
   * @default none: every tenant has the default policy */
  policiesFile?: string;
  /** Grafana's base URL: the wallboard links each call to its call-timeline dashboard. `VOICEPULSE_GRAFANA_URL`
   * @default none: no links */
  grafanaUrl?: string;
  /** Port of a second listener serving /metrics and /healthz without a token (Prometheus, probes);
   * keep it off the public network. `VOICEPULSE_LIVE_METRICS_PORT`
   * @default none: /metrics and /healthz only on the main port, behind the operator token */
  metricsPort?: number;
  /** Listen address of that listener. `VOICEPULSE_LIVE_METRICS_HOST`
   * @default the main listen address (VOICEPULSE_HOST) */
  metricsHost?: string;
  /** Open connections (WebSocket and gRPC) past which new ones are refused. `VOICEPULSE_MAX_CONNECTIONS`
   * @default 10000 (DEFAULT_LIMITS in services/live/ingress/session.ts) */
  maxConnections?: number;
  /** Open connections from one address past which its new ones are refused. `VOICEPULSE_MAX_CONNECTIONS_PER_ADDRESS`
   * @default 1000 */
  maxConnectionsPerAddress?: number;
  /** Scoring lag (recent window latency, ms) past which new calls are refused; 0 = never. `VOICEPULSE_MAX_SCORING_LAG_MS`
   * @default 2500 */
  maxScoringLagMs?: number;
  /** Share of the scoring threads' time the calls in progress may claim, each charged one window per
   * hop per scored speaker at the measured cost of a window; past it new calls are refused at once
   * (a burst never waits for the lag to rise); 0 = no limit, above 1 overbooks on silence.
   * `VOICEPULSE_MAX_SCORING_LOAD`
   * @default 1 */
  maxScoringLoad?: number;
  /** On SIGTERM: how long calls may go on (new ones refused) before the rest are ended. `VOICEPULSE_DRAIN_SECONDS`
   * @default 30 */
  drainSeconds: number;
  /** This process's name among the live pods (presence, logs). `VOICEPULSE_POD_ID`
   * @default the host name and a random suffix, new at every start */
  podId?: string;
  /** Where uploaded recordings wait to be analysed (POST /api/recordings): keep it on a persistent
   * volume, shared by the live pods. `VOICEPULSE_RECORDINGS_DIR`
   * @default `<VOICEPULSE_CACHE_DIR>/recordings` */
  recordingsDir: string;
}

export interface AuthSettings {
  /** The operator token (any tenant) for media, /watch and the query API. `VOICEPULSE_TOKEN`
   * @default generated at start and printed */
  token?: string;
  /** Per-tenant tokens, tenant id → token (≥ 16 characters). `VOICEPULSE_TENANT_TOKENS` as `tenant=token,…`
   * @default {} */
  tenantTokens: Record<string, string>;
  /** The tenant an operator request reads when it names none. `VOICEPULSE_DEFAULT_TENANT`
   * @default 'default' */
  defaultTenant?: string;
  /** Genesys AudioHook clients: API key → tenant and client secret (requests must be signed with it).
   * `VOICEPULSE_AUDIOHOOK_CREDENTIALS` as `tenant=apiKey:base64Secret,…`
   * @default {} */
  audiohookCredentials: Record<string, AudioHookCredential>;
  /** Twilio auth tokens by tenant: a valid X-Twilio-Signature on /twilio makes the stream that tenant's.
   * `VOICEPULSE_TWILIO_AUTH_TOKENS` as `tenant=authToken,…`
   * @default {} */
  twilioAuthTokens: Record<string, string>;
}

export interface QuerySettings {
  /** Sustained queries per second per token. `VOICEPULSE_QUERY_RATE_PER_SECOND`
   * @default 50 (DEFAULT_RATE_LIMIT in services/live/query/ratelimit.ts) */
  ratePerSecond?: number;
  /** Queries a token may make back to back after idling. `VOICEPULSE_QUERY_BURST`
   * @default 300 */
  burst?: number;
  /** Queries of one token running at the same time. `VOICEPULSE_QUERY_MAX_CONCURRENT`
   * @default 8 */
  maxConcurrent?: number;
}

export interface KafkaSettings {
  /** Kafka brokers. `VOICEPULSE_KAFKA_BROKERS` as `host:port[,…]` (old name `VOICEPULSE_KAFKA`)
   * @default none: the in-process bus (one process only) */
  brokers?: string[];
  /** Partitions of the event topics when created or grown. `VOICEPULSE_KAFKA_PARTITIONS`
   * @default 6 (KafkaBus) */
  partitions?: number;
  /** Replication factor of the topics this process creates. `VOICEPULSE_KAFKA_REPLICATION`
   * @default 1 (KafkaBus; 3 on a production cluster) */
  replicationFactor?: number;
  /** Prefix of every topic name, so users of a shared broker do not collide. `VOICEPULSE_KAFKA_TOPIC_PREFIX`
   * @default '' */
  topicPrefix?: string;
}

export interface ClickHouseSettings {
  /** ClickHouse server HTTP URL. `VOICEPULSE_CLICKHOUSE_URL` (old name `VOICEPULSE_CLICKHOUSE`)
   * @default none: ClickHouse embedded in the process (chdb) at `chdbPath` */
  url?: string;
  /** Database of the events and aggregates. `VOICEPULSE_CLICKHOUSE_DATABASE`
   * @default 'voicepulse' */
  database: string;
  /** `VOICEPULSE_CLICKHOUSE_USER`
   * @default 'default' (@clickhouse/client) */
  username?: string;
  /** `VOICEPULSE_CLICKHOUSE_PASSWORD`
   * @default '' */
  password?: string;
  /** Shard URLs of a ClickHouse cluster without replication: the sink writes each call's rows to one
   * shard's local tables itself (deploy/README.md). `VOICEPULSE_CLICKHOUSE_SHARDS` as `url[,url…]`
   * @default none: the sink inserts through VOICEPULSE_CLICKHOUSE_URL */
  shards?: string[];
  /** Apply the schema migrations at start; false for a cluster set up from deploy/clickhouse/cluster/.
   * `VOICEPULSE_CLICKHOUSE_MIGRATE` as true/false/1/0
   * @default true */
  migrate: boolean;
  /** Where embedded ClickHouse keeps its data. `VOICEPULSE_CHDB_PATH`
   * @default `<VOICEPULSE_CACHE_DIR>/chdb`, the cache dir defaulting to `$XDG_CACHE_HOME/voicepulse`
   * or `~/.cache/voicepulse` */
  chdbPath: string;
}

export interface SinkSettings {
  /** Consumer group; sinks sharing it split the partitions. `VOICEPULSE_SINK_GROUP`
   * @default 'voicepulse-sink' (DEFAULT_SINK_GROUP in services/sink/sink.ts) */
  groupId?: string;
  /** Days of raw scores and alerts to keep. `VOICEPULSE_RETENTION_DAYS`
   * @default none: keep everything */
  retentionDays?: number;
  /** Port of the standalone sink's /metrics and /healthz; 0 = any free port. `VOICEPULSE_METRICS_PORT`
   * @default 9464 */
  metricsPort: number;
  /** Run a sink inside `voicepulse serve` when the bus is Kafka (the in-process bus always does).
   * `VOICEPULSE_SERVE_SINK` as true/false/1/0
   * @default true (false where standalone sinks run: deploy/k8s, the local cluster) */
  inServe: boolean;
}

export const MODEL_RUNTIMES = ['auto', ...RUNTIMES] as const;

export interface ModelSettings {
  /** Emotion model directory. `VOICEPULSE_MODEL_DIR`
   * @default the committed model (COMMITTED_MODEL_DIR) */
  dir?: string;
  /** What runs the network: the first that loads, or one by name. `VOICEPULSE_MODEL_RUNTIME`
   * @default 'auto' */
  runtime: (typeof MODEL_RUNTIMES)[number];
  /** Explain every full-length scored window (which ~200 ms segments drove it: the call timeline's
   * explanations, core/model/explain.ts), at 11–16 % more scoring time; a batch that starts more
   * than 100 ms after its oldest window arrived skips them to catch up (counted in
   * voicepulse_unexplained_windows_total). `VOICEPULSE_EXPLAIN` as true/false/1/0
   * @default true */
  explain: boolean;
}

export interface DataSettings {
  /** Folder of the corpora (ravdess/, tess/, …), resolved. `VOICEPULSE_DATA`
   * @default ../shared/data next to the repository */
  root: string;
  /** Largest audio file a command reads (classify, eval, features, analyze), in MiB; `--max-file-mb`
   * overrides it. `VOICEPULSE_MAX_AUDIO_FILE_MB`
   * @default 512 (MAX_AUDIO_FILE_BYTES in core/audio/file.ts) */
  maxAudioFileMb: number;
}

/** Node reads at most 2 GiB into one buffer: the most VOICEPULSE_MAX_AUDIO_FILE_MB and --max-file-mb allow. */
export const MAX_AUDIO_FILE_MB = 2047;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export interface LogSettings {
  /** pino level. `VOICEPULSE_LOG_LEVEL`
   * @default 'info' (`voicepulse start`: 'warn') */
  level?: (typeof LOG_LEVELS)[number];
}

export interface BenchSettings {
  /** Rows per sink process in the pipeline bench. `VOICEPULSE_BENCH_ROWS`
   * @default 200000 */
  rows: number;
  /** Rows of the one-insert-per-row baseline. `VOICEPULSE_BENCH_BASELINE_ROWS`
   * @default 3000 */
  baselineRows: number;
  /** Agents in the scorecard bench's history. `VOICEPULSE_BENCH_AGENTS`
   * @default 500 */
  agents: number;
  /** Days of history. `VOICEPULSE_BENCH_DAYS`
   * @default 30 */
  days: number;
  /** Calls per agent per day. `VOICEPULSE_BENCH_CALLS_PER_DAY`
   * @default 8 */
  callsPerDay: number;
  /** Concurrent-call levels of the stream bench. `VOICEPULSE_BENCH_LEVELS` as `n,n,…`
   * @default [50, 100, 200, 300, 400] */
  levels: number[];
  /** Runs of each stream-bench level; a level passes only when every run does. `VOICEPULSE_BENCH_RUNS`
   * @default 3 */
  runs: number;
  /** Playback speed of the stream bench (1 = real time). `VOICEPULSE_BENCH_SPEED`
   * @default 1 */
  speed: number;
  /** Media protocol of the stream bench. `VOICEPULSE_BENCH_PROTOCOL`
   * @default 'twilio' */
  protocol: 'twilio' | 'native';
  /** Concurrent calls of the cluster bench (across two pods). `VOICEPULSE_BENCH_CLUSTER_CALLS`
   * @default 40 */
  clusterCalls: number;
}

/** The parsed environment, by concern. */
export interface Settings {
  live: LiveSettings;
  auth: AuthSettings;
  query: QuerySettings;
  kafka: KafkaSettings;
  clickhouse: ClickHouseSettings;
  sink: SinkSettings;
  model: ModelSettings;
  data: DataSettings;
  log: LogSettings;
  bench: BenchSettings;
  /** One line per deprecated variable name in use, for the entry point to log. */
  warnings: string[];
}

/** Old names still accepted: old → canonical. */
export const DEPRECATED_NAMES: Readonly<Record<string, string>> = {
  VOICEPULSE_KAFKA: 'VOICEPULSE_KAFKA_BROKERS',
  VOICEPULSE_CLICKHOUSE: 'VOICEPULSE_CLICKHOUSE_URL',
};

/** Variables whose values are never repeated in an error. */
const SECRETS = new Set([
  'VOICEPULSE_TOKEN',
  'VOICEPULSE_TENANT_TOKENS',
  'VOICEPULSE_AUDIOHOOK_CREDENTIALS',
  'VOICEPULSE_TWILIO_AUTH_TOKENS',
  'VOICEPULSE_CLICKHOUSE_PASSWORD',
]);

/** What an integer setting or flag must be, worded the same everywhere. */
function integerExpectation(min: number, max: number): string {
  const unbounded = max >= 999_999;
  if (unbounded && min <= 1) return min === 0 ? 'a non-negative integer' : 'a positive integer';
  return unbounded ? `an integer ≥ ${min}` : `an integer in ${min}..${max}`;
}

/** The one integer parser of settings and flags: decimal digits only, within [min, max]. */
function integer(min = 0, max = Number.MAX_SAFE_INTEGER) {
  return z.string().transform((text, ctx) => {
    const n = /^\d{1,15}$/.test(text) ? Number(text) : Number.NaN;
    if (n >= min && n <= max) return n;
    ctx.addIssue({ code: 'custom', message: `must be ${integerExpectation(min, max)}` });
    return z.NEVER;
  });
}

/** Parses the integer `text` of the setting or flag `name`; ConfigError INVALID_SETTING otherwise. */
export function parseInteger(name: string, text: string, range: { min?: number; max?: number } = {}): number {
  return parseField(name, text, integer(range.min, range.max));
}

const PORT = integer(0, 65_535);
const positive = integer(1, 999_999);

const positiveNumber = z.string().transform((text, ctx) => {
  const n = /^\d{1,6}(\.\d{1,3})?$/.test(text) ? Number(text) : Number.NaN;
  if (n > 0) return n;
  ctx.addIssue({ code: 'custom', message: 'must be a positive number' });
  return z.NEVER;
});

/** A ratio such as 0.8: decimal digits, at most three after the point, within [0, max]. */
function ratio(max: number) {
  return z.string().transform((text, ctx) => {
    const n = /^\d{1,3}(\.\d{1,3})?$/.test(text) ? Number(text) : Number.NaN;
    if (n >= 0 && n <= max) return n;
    ctx.addIssue({ code: 'custom', message: `must be a number in 0..${max}` });
    return z.NEVER;
  });
}

const HOST_PORT = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]):(\d{1,5})$/;

/** `host:port[,host:port…]` (VOICEPULSE_KAFKA_BROKERS, `--kafka`). */
const brokerList = z.string().transform((text, ctx) => {
  const brokers = text
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
  const bad = brokers.find((b) => {
    const port = Number(HOST_PORT.exec(b)?.[2]);
    return !(port > 0 && port < 65_536);
  });
  if (brokers.length > 0 && bad === undefined) return brokers;
  ctx.addIssue({
    code: 'custom',
    message: bad === undefined ? 'names no Kafka broker' : `has '${bad}', which is not host:port`,
  });
  return z.NEVER;
});

/** Parses a broker list (the `--kafka` flag); ConfigError INVALID_SETTING naming `name` otherwise. */
export function parseBrokers(name: string, text: string): string[] {
  return parseField(name, text, brokerList);
}

const httpUrl = z.string().refine((text) => {
  try {
    return ['http:', 'https:'].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}, 'must be an http:// or https:// URL');

/** `url[,url…]` (VOICEPULSE_CLICKHOUSE_SHARDS). */
const urlList = z.string().transform((text, ctx) => {
  const urls = text
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u.length > 0);
  const bad = urls.find((u) => !httpUrl.safeParse(u).success);
  if (urls.length > 0 && bad === undefined) return urls;
  ctx.addIssue({
    code: 'custom',
    message: bad === undefined ? 'names no URL' : `has '${bad}', which is not an http:// or https:// URL`,
  });
  return z.NEVER;
});

/** Parses a ClickHouse URL (the `--clickhouse` flag); ConfigError INVALID_SETTING naming `name` otherwise. */
export function parseClickHouseUrl(name: string, text: string): string {
  return parseField(name, text, httpUrl);
}

/** What a parser of core/auth says is wrong, without the variable name it starts with. */
const reasonOf = (err: Error) => err.message.replace(/^[A-Z_]+: VOICEPULSE_[A-Z_]+: /, '');

const tenantTokens = z.string().transform((text, ctx) => {
  try {
    return parseTenantTokens(text);
  } catch (err) {
    if (!(err instanceof AuthConfigError)) throw err;
    ctx.addIssue({ code: 'custom', message: `must be tenant=token,… with strong tokens: ${reasonOf(err)}` });
    return z.NEVER;
  }
});

/** A secret that is not guessable (core/auth/tokens.ts secretWeakness). */
const secret = z.string().superRefine((text, ctx) => {
  const weakness = secretWeakness(text);
  if (weakness) ctx.addIssue({ code: 'custom', message: weakness });
});

const twilioAuthTokens = z.string().transform((text, ctx) => {
  try {
    return parseTenantSecrets('VOICEPULSE_TWILIO_AUTH_TOKENS', text);
  } catch (err) {
    if (!(err instanceof AuthConfigError)) throw err;
    ctx.addIssue({ code: 'custom', message: `must be tenant=authToken,…: ${reasonOf(err)}` });
    return z.NEVER;
  }
});

const audiohookCredentials = z.string().transform((text, ctx) => {
  try {
    return parseAudioHookCredentials(text);
  } catch (err) {
    if (!(err instanceof AudioHookCredentialsError)) throw err;
    ctx.addIssue({ code: 'custom', message: `must be tenant=apiKey:base64Secret,…: ${reasonOf(err)}` });
    return z.NEVER;
  }
});

const oneOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `must be one of ${values.join(', ')}` });

const flag = oneOf(['true', 'false', '1', '0'] as const).transform((v) => v === 'true' || v === '1');

const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'must be a plain identifier');

const levels = z.string().transform((text, ctx) => {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.every((p) => /^[1-9]\d{0,5}$/.test(p))) return parts.map(Number);
  ctx.addIssue({ code: 'custom', message: 'must be positive integers separated by commas' });
  return z.NEVER;
});

const DEFAULT_DATA_ROOT = resolve(fileURLToPath(new URL('../../../shared/data', import.meta.url)));

/** Every variable of the product and its bench, by name. */
const VARIABLES = {
  VOICEPULSE_PORT: PORT.optional(),
  VOICEPULSE_GRPC_PORT: PORT.optional(),
  VOICEPULSE_HOST: z.string().default('0.0.0.0'),
  VOICEPULSE_THREADS: integer(0, 1024).optional(),
  VOICEPULSE_POLICIES: z.string().optional(),
  VOICEPULSE_GRAFANA_URL: httpUrl.optional(),
  VOICEPULSE_DRAIN_SECONDS: integer(0, 3600).default(30),
  VOICEPULSE_POD_ID: z
    .string()
    .regex(/^[\w.:@-]{1,128}$/, 'must be 1-128 letters, digits or . _ : @ -')
    .optional(),
  VOICEPULSE_LIVE_METRICS_PORT: PORT.optional(),
  VOICEPULSE_LIVE_METRICS_HOST: z.string().optional(),
  VOICEPULSE_MAX_CONNECTIONS: positive.optional(),
  VOICEPULSE_MAX_CONNECTIONS_PER_ADDRESS: positive.optional(),
  VOICEPULSE_MAX_SCORING_LAG_MS: integer(0, 600_000).optional(),
  VOICEPULSE_MAX_SCORING_LOAD: ratio(10).optional(),
  VOICEPULSE_RECORDINGS_DIR: z.string().optional(),
  VOICEPULSE_TOKEN: secret.optional(),
  VOICEPULSE_TENANT_TOKENS: tenantTokens.optional(),
  VOICEPULSE_AUDIOHOOK_CREDENTIALS: audiohookCredentials.optional(),
  VOICEPULSE_TWILIO_AUTH_TOKENS: twilioAuthTokens.optional(),
  VOICEPULSE_DEFAULT_TENANT: z.string().max(128, 'must be at most 128 characters').optional(),
  VOICEPULSE_QUERY_RATE_PER_SECOND: positiveNumber.optional(),
  VOICEPULSE_QUERY_BURST: positive.optional(),
  VOICEPULSE_QUERY_MAX_CONCURRENT: positive.optional(),
  VOICEPULSE_KAFKA_BROKERS: brokerList.optional(),
  VOICEPULSE_KAFKA_PARTITIONS: integer(1, 10_000).optional(),
  VOICEPULSE_KAFKA_REPLICATION: integer(1, 100).optional(),
  VOICEPULSE_KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,200}$/, 'must be letters, digits, . _ or -')
    .optional(),
  VOICEPULSE_CLICKHOUSE_URL: httpUrl.optional(),
  VOICEPULSE_CLICKHOUSE_DATABASE: identifier.default('voicepulse'),
  VOICEPULSE_CLICKHOUSE_USER: z.string().optional(),
  VOICEPULSE_CLICKHOUSE_PASSWORD: z.string().optional(),
  VOICEPULSE_CLICKHOUSE_SHARDS: urlList.optional(),
  VOICEPULSE_CLICKHOUSE_MIGRATE: flag.default(true),
  VOICEPULSE_CACHE_DIR: z.string().optional(),
  VOICEPULSE_CHDB_PATH: z.string().optional(),
  VOICEPULSE_SINK_GROUP: z.string().max(255, 'must be at most 255 characters').optional(),
  VOICEPULSE_RETENTION_DAYS: positive.optional(),
  VOICEPULSE_METRICS_PORT: PORT.default(9464),
  VOICEPULSE_SERVE_SINK: flag.default(true),
  VOICEPULSE_MODEL_DIR: z.string().optional(),
  VOICEPULSE_MODEL_RUNTIME: oneOf(MODEL_RUNTIMES).default('auto'),
  VOICEPULSE_EXPLAIN: flag.default(true),
  VOICEPULSE_DATA: z
    .string()
    .transform((p) => resolve(p))
    .default(DEFAULT_DATA_ROOT),
  VOICEPULSE_MAX_AUDIO_FILE_MB: integer(1, MAX_AUDIO_FILE_MB).optional(),
  VOICEPULSE_LOG_LEVEL: oneOf(LOG_LEVELS).optional(),
  VOICEPULSE_BENCH_ROWS: positive.default(200_000),
  VOICEPULSE_BENCH_BASELINE_ROWS: positive.default(3_000),
  VOICEPULSE_BENCH_AGENTS: positive.default(500),
  VOICEPULSE_BENCH_DAYS: positive.default(30),
  VOICEPULSE_BENCH_CALLS_PER_DAY: positive.default(8),
  VOICEPULSE_BENCH_LEVELS: levels.default([50, 100, 200, 300, 400]),
  VOICEPULSE_BENCH_RUNS: positive.default(3),
  VOICEPULSE_BENCH_SPEED: positiveNumber.default(1),
  VOICEPULSE_BENCH_PROTOCOL: oneOf(['twilio', 'native'] as const).default('twilio'),
  VOICEPULSE_BENCH_CLUSTER_CALLS: positive.default(40),
};

const envSchema = z.object(VARIABLES);

/** The variable names parseEnv reads (deprecated names aside). */
export const ENV_NAMES: readonly string[] = Object.keys(VARIABLES);

function problem(name: string, value: string | undefined, message: string): ConfigError {
  const shown = value === undefined || SECRETS.has(name) ? '' : `, got '${value.slice(0, 60)}'`;
  return new ConfigError('INVALID_SETTING', `${name} ${message}${shown}`);
}

function parseField<T>(name: string, text: string, schema: z.ZodType<T, string>): T {
  const result = schema.safeParse(text);
  if (result.success) return result.data;
  throw problem(name, text, result.error.issues[0]?.message ?? 'is invalid');
}

/**
 * The settings in `env` (the process's environment) over the defaults. Pure: reads nothing but `env`
 * (and the home directory, when neither HOME nor a cache directory is set).
 */
export function parseEnv(env: Readonly<Record<string, string | undefined>>): Settings {
  const given: Record<string, string> = {};
  for (const name of ENV_NAMES) {
    const value = env[name];
    if (value !== undefined && value !== '') given[name] = value;
  }
  const warnings: string[] = [];
  for (const [old, canonical] of Object.entries(DEPRECATED_NAMES)) {
    const value = env[old];
    if (value === undefined || value === '') continue;
    if (given[canonical] === undefined) {
      given[canonical] = value;
      warnings.push(`${old} is deprecated: use ${canonical}`);
    } else {
      warnings.push(`${old} is deprecated and ignored: ${canonical} is set`);
    }
  }
  const parsed = envSchema.safeParse(given);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? 'environment');
    throw problem(name, given[name], issue?.message ?? 'is invalid');
  }
  const v = parsed.data;
  const cacheDir =
    v.VOICEPULSE_CACHE_DIR ?? join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'voicepulse');
  return {
    live: {
      port: v.VOICEPULSE_PORT,
      grpcPort: v.VOICEPULSE_GRPC_PORT,
      host: v.VOICEPULSE_HOST,
      threads: v.VOICEPULSE_THREADS,
      policiesFile: v.VOICEPULSE_POLICIES,
      grafanaUrl: v.VOICEPULSE_GRAFANA_URL,
      metricsPort: v.VOICEPULSE_LIVE_METRICS_PORT,
      metricsHost: v.VOICEPULSE_LIVE_METRICS_HOST,
      maxConnections: v.VOICEPULSE_MAX_CONNECTIONS,
      maxConnectionsPerAddress: v.VOICEPULSE_MAX_CONNECTIONS_PER_ADDRESS,
      maxScoringLagMs: v.VOICEPULSE_MAX_SCORING_LAG_MS,
      maxScoringLoad: v.VOICEPULSE_MAX_SCORING_LOAD,
      drainSeconds: v.VOICEPULSE_DRAIN_SECONDS,
      podId: v.VOICEPULSE_POD_ID,
      recordingsDir: v.VOICEPULSE_RECORDINGS_DIR ?? join(cacheDir, 'recordings'),
    },
    auth: {
      token: v.VOICEPULSE_TOKEN,
      tenantTokens: v.VOICEPULSE_TENANT_TOKENS ?? {},
      defaultTenant: v.VOICEPULSE_DEFAULT_TENANT,
      audiohookCredentials: v.VOICEPULSE_AUDIOHOOK_CREDENTIALS ?? {},
      twilioAuthTokens: v.VOICEPULSE_TWILIO_AUTH_TOKENS ?? {},
    },
    query: {
      ratePerSecond: v.VOICEPULSE_QUERY_RATE_PER_SECOND,
      burst: v.VOICEPULSE_QUERY_BURST,
      maxConcurrent: v.VOICEPULSE_QUERY_MAX_CONCURRENT,
    },
    kafka: {
      brokers: v.VOICEPULSE_KAFKA_BROKERS,
      partitions: v.VOICEPULSE_KAFKA_PARTITIONS,
      replicationFactor: v.VOICEPULSE_KAFKA_REPLICATION,
      topicPrefix: v.VOICEPULSE_KAFKA_TOPIC_PREFIX,
    },
    clickhouse: {
      url: v.VOICEPULSE_CLICKHOUSE_URL,
      database: v.VOICEPULSE_CLICKHOUSE_DATABASE,
      username: v.VOICEPULSE_CLICKHOUSE_USER,
      password: v.VOICEPULSE_CLICKHOUSE_PASSWORD,
      shards: v.VOICEPULSE_CLICKHOUSE_SHARDS,
      migrate: v.VOICEPULSE_CLICKHOUSE_MIGRATE,
      chdbPath: v.VOICEPULSE_CHDB_PATH ?? join(cacheDir, 'chdb'),
    },
    sink: {
      groupId: v.VOICEPULSE_SINK_GROUP,
      retentionDays: v.VOICEPULSE_RETENTION_DAYS,
      metricsPort: v.VOICEPULSE_METRICS_PORT,
      inServe: v.VOICEPULSE_SERVE_SINK,
    },
    model: {
      dir: v.VOICEPULSE_MODEL_DIR,
      runtime: v.VOICEPULSE_MODEL_RUNTIME,
      explain: v.VOICEPULSE_EXPLAIN,
    },
    data: {
      root: v.VOICEPULSE_DATA,
      maxAudioFileMb: v.VOICEPULSE_MAX_AUDIO_FILE_MB ?? MAX_AUDIO_FILE_BYTES / (1024 * 1024),
    },
    log: { level: v.VOICEPULSE_LOG_LEVEL },
    bench: {
      rows: v.VOICEPULSE_BENCH_ROWS,
      baselineRows: v.VOICEPULSE_BENCH_BASELINE_ROWS,
      agents: v.VOICEPULSE_BENCH_AGENTS,
      days: v.VOICEPULSE_BENCH_DAYS,
      callsPerDay: v.VOICEPULSE_BENCH_CALLS_PER_DAY,
      levels: v.VOICEPULSE_BENCH_LEVELS,
      runs: v.VOICEPULSE_BENCH_RUNS,
      speed: v.VOICEPULSE_BENCH_SPEED,
      protocol: v.VOICEPULSE_BENCH_PROTOCOL,
      clusterCalls: v.VOICEPULSE_BENCH_CLUSTER_CALLS,
    },
    warnings,
  };
}
