// What `voicepulse serve` / `npm start` runs with: command-line flags over the parsed environment
// (core/config/env.ts) over the embedded defaults, resolved once into one ServeConfig.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { join } from 'node:path';
import type { AuthConfig } from '../../core/auth/tokens.ts';
import { ConfigError, type Settings } from '../../core/config/env.ts';
import { detailOf } from '../../core/errors.ts';
import { COMMITTED_MODEL_DIR } from '../../core/model/format.ts';
import type { RuntimeChoice } from '../../core/model/runtime.ts';
import { DEFAULT_SETTINGS, type StreamingSettings } from '../../core/streaming/config.ts';
import { parseTenantPolicies, type TenantPolicies, TenantPoliciesError } from '../../core/tenancy/policy.ts';
import { DEFAULT_LIMITS, type GatewayLimits } from './ingress/session.ts';
import type { RateLimitConfig } from './query/ratelimit.ts';

/** The HTTP port of `voicepulse serve` when neither --port nor VOICEPULSE_PORT names one. */
export const DEFAULT_PORT = 8080;

/**
 * Scoring threads when none are configured: a core each but one, left to the gateway, and on two
 * cores or fewer a core each. One scoring thread on two cores cannot use what the gateway leaves
 * idle: when every customer of 400 Twilio calls speaks at once its queue grows (two threads had the
 * lower p99 in each of 14 paired runs: docs/model-history.md). Admission still counts one core for
 * scoring there (backend.ts scoringCores).
 */
export function defaultScoringThreads(cores: number = availableParallelism()): number {
  return Math.max(1, cores <= 2 ? cores : cores - 1);
}

export interface ServeFlags {
  port?: number;
  host?: string;
  threads?: number;
  model?: string;
  policies?: string;
  maxCalls?: number;
  grpcPort?: number;
  /** Kafka brokers instead of the in-process bus (`--kafka`, parsed). */
  kafka?: string[];
  /** ClickHouse HTTP URL instead of the embedded store (`--clickhouse`). */
  clickhouse?: string;
}

export interface ServeConfig {
  port: number;
  /** gRPC port: --grpc-port, VOICEPULSE_GRPC_PORT, else the HTTP port + 1 (any free port when that is 0). */
  grpcPort: number;
  host: string;
  /** The operator token; generated (and printed) when VOICEPULSE_TOKEN is unset. */
  token: string;
  tokenGenerated: boolean;
  /** Who may do what: the operator token above, the tenant tokens and the default tenant. */
  auth: AuthConfig & { operatorToken: string; tenantTokens: Readonly<Record<string, string>> };
  /** The query API's per-token limits (unset fields: DEFAULT_RATE_LIMIT). */
  rateLimit: Partial<RateLimitConfig>;
  threads: number;
  modelDir: string;
  /** What runs the emotion network: VOICEPULSE_MODEL_RUNTIME. */
  modelRuntime: RuntimeChoice;
  /** Explain every full-length scored window: VOICEPULSE_EXPLAIN. */
  explain: boolean;
  policies: TenantPolicies;
  /** Live windowing and smoothing; the window and hop come from the model. */
  streaming: StreamingSettings;
  limits: GatewayLimits;
  /** Genesys AudioHook clients by API key and Twilio auth tokens by tenant (signed upgrades). */
  carriers: Pick<Settings['auth'], 'audiohookCredentials' | 'twilioAuthTokens'>;
  /** The metrics listener (VOICEPULSE_LIVE_METRICS_PORT): /metrics and /healthz without a token; none = none. */
  metricsListener: { host: string; port: number } | undefined;
  /**
   * The settings of the analytics side (bus, ClickHouse, sink) with --kafka / --clickhouse applied;
   * the CLI starts them (cli/commands/serve.ts), unless --no-pipeline.
   */
  pipeline: Pick<Settings, 'kafka' | 'clickhouse' | 'sink'>;
  /** Grafana's base URL for the wallboard's call links; none = no links. */
  grafanaUrl: string | undefined;
  /** This process's name among the live pods (VOICEPULSE_POD_ID, else the host name and a random suffix). */
  podId: string;
  /** The spool of uploaded recordings (VOICEPULSE_RECORDINGS_DIR), shared by the live pods. */
  recordingsDir: string;
  /** On SIGTERM, how long open calls may go on before they are ended (VOICEPULSE_DRAIN_SECONDS). */
  drainMs: number;
  /** pino level of the process (undefined: the command's own default). */
  logLevel: Settings['log']['level'];
}

function loadPolicies(path: string): TenantPolicies {
  try {
    return parseTenantPolicies(readFileSync(path, 'utf8'), path);
  } catch (err) {
    const detail =
      err instanceof TenantPoliciesError
        ? detailOf(err)
        : `cannot read tenant policies ${path}: ${(err as Error).message}`;
    throw new ConfigError('INVALID_POLICIES', detail, { cause: err });
  }
}

export function serveConfig(flags: ServeFlags, settings: Settings): ServeConfig {
  const { live, auth } = settings;
  const policiesFile = flags.policies ?? live.policiesFile;
  const port = flags.port ?? live.port ?? DEFAULT_PORT;
  const token = auth.token || randomBytes(18).toString('base64url');
  const clickhouseUrl = flags.clickhouse ?? settings.clickhouse.url;
  return {
    port,
    grpcPort: flags.grpcPort ?? live.grpcPort ?? (port === 0 ? 0 : port + 1),
    host: flags.host ?? live.host,
    token,
    tokenGenerated: !auth.token,
    auth: { operatorToken: token, tenantTokens: auth.tenantTokens, defaultTenant: auth.defaultTenant },
    // Unset settings leave the limiter's defaults in place (a present `undefined` would replace them).
    rateLimit: Object.fromEntries(Object.entries(settings.query).filter(([, v]) => v !== undefined)),
    threads: flags.threads ?? live.threads ?? defaultScoringThreads(),
    modelDir: flags.model ?? settings.model.dir ?? COMMITTED_MODEL_DIR,
    modelRuntime: settings.model.runtime,
    explain: settings.model.explain,
    policies: policiesFile ? loadPolicies(policiesFile) : {},
    streaming: DEFAULT_SETTINGS,
    limits: {
      ...DEFAULT_LIMITS,
      maxConcurrentCalls: flags.maxCalls ?? DEFAULT_LIMITS.maxConcurrentCalls,
      maxScoringLagMs: live.maxScoringLagMs ?? DEFAULT_LIMITS.maxScoringLagMs,
      maxScoringLoad: live.maxScoringLoad ?? DEFAULT_LIMITS.maxScoringLoad,
      maxConnections: live.maxConnections ?? DEFAULT_LIMITS.maxConnections,
      maxConnectionsPerAddress: live.maxConnectionsPerAddress ?? DEFAULT_LIMITS.maxConnectionsPerAddress,
    },
    carriers: { audiohookCredentials: auth.audiohookCredentials, twilioAuthTokens: auth.twilioAuthTokens },
    metricsListener:
      live.metricsPort === undefined
        ? undefined
        : { host: live.metricsHost ?? flags.host ?? live.host, port: live.metricsPort },
    pipeline: {
      kafka: { ...settings.kafka, brokers: flags.kafka ?? settings.kafka.brokers },
      clickhouse: { ...settings.clickhouse, url: clickhouseUrl },
      sink: settings.sink,
    },
    grafanaUrl: live.grafanaUrl,
    podId: live.podId ?? `${hostname()}-${randomBytes(3).toString('hex')}`,
    recordingsDir: live.recordingsDir,
    drainMs: live.drainSeconds * 1000,
    logLevel: settings.log.level,
  };
}

export function modelPresent(dir: string): boolean {
  return existsSync(join(dir, 'model.json')) && existsSync(join(dir, 'weights.bin'));
}
