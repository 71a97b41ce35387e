// Embedded defaults of `voicepulse serve` / `npm start`, overridden by flags, then environment.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { AuthConfigError, authConfigFromEnv } from '../../core/auth/tokens.ts';
import { COMMITTED_MODEL_DIR } from '../../core/model/model.ts';
import { DEFAULT_STREAMING, type StreamingConfig } from '../../core/streaming/config.ts';
import { type TenantPolicies, tenantPoliciesSchema } from '../../core/tenancy/policy.ts';
import { DEFAULT_LIMITS, type GatewayLimits } from './ingress/session.ts';
import { RateLimitConfigError, rateLimitFromEnv } from './query/ratelimit.ts';

export const DEFAULT_PORT = 8080;

export interface ServeFlags {
  port?: number;
  host?: string;
  threads?: number;
  model?: string;
  policies?: string;
  maxCalls?: number;
  grpcPort?: number;
}

export interface ServeConfig {
  port: number;
  /** gRPC port: --grpc-port, VOICEPULSE_GRPC_PORT, else the HTTP port + 1 (any free port when that is 0). */
  grpcPort: number;
  host: string;
  /** The bearer token; generated (and printed) when VOICEPULSE_TOKEN is unset. */
  token: string;
  tokenGenerated: boolean;
  /** VOICEPULSE_TENANT_TOKENS: tenant id → token limited to that tenant. */
  tenantTokens: Record<string, string>;
  threads: number;
  modelDir: string;
  policies: TenantPolicies;
  streaming: StreamingConfig;
  limits: GatewayLimits;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function serveConfig(flags: ServeFlags, env: NodeJS.ProcessEnv = process.env): ServeConfig {
  const int = (v: string | undefined, name: string) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0)
      throw new ConfigError(`${name} must be a non-negative integer, got '${v}'`);
    return n;
  };
  const modelDir = flags.model ?? env.VOICEPULSE_MODEL_DIR ?? COMMITTED_MODEL_DIR;
  const policiesPath = flags.policies ?? env.VOICEPULSE_POLICIES;
  let policies: TenantPolicies = {};
  if (policiesPath) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(policiesPath, 'utf8'));
    } catch (err) {
      throw new ConfigError(`cannot read tenant policies ${policiesPath}: ${(err as Error).message}`);
    }
    const parsed = tenantPoliciesSchema.safeParse(raw);
    if (!parsed.success)
      throw new ConfigError(`invalid tenant policies in ${policiesPath}: ${parsed.error.message}`);
    policies = parsed.data;
  }
  const token = env.VOICEPULSE_TOKEN;
  let tenantTokens: Record<string, string> = {};
  try {
    // Parses the query API's VOICEPULSE_QUERY_* limits too, so a bad one stops serve at startup.
    tenantTokens = authConfigFromEnv(env).tenantTokens ?? {};
    rateLimitFromEnv(env);
  } catch (err) {
    if (err instanceof AuthConfigError || err instanceof RateLimitConfigError)
      throw new ConfigError(err.message);
    throw err;
  }
  const port = flags.port ?? int(env.VOICEPULSE_PORT, 'VOICEPULSE_PORT') ?? DEFAULT_PORT;
  return {
    port,
    grpcPort:
      flags.grpcPort ?? int(env.VOICEPULSE_GRPC_PORT, 'VOICEPULSE_GRPC_PORT') ?? (port === 0 ? 0 : port + 1),
    host: flags.host ?? env.VOICEPULSE_HOST ?? '0.0.0.0',
    token: token || randomBytes(18).toString('base64url'),
    tokenGenerated: !token,
    tenantTokens,
    threads:
      flags.threads ??
      int(env.VOICEPULSE_THREADS, 'VOICEPULSE_THREADS') ??
      Math.max(1, availableParallelism() - 1),
    modelDir,
    policies,
    streaming: DEFAULT_STREAMING,
    limits: { ...DEFAULT_LIMITS, maxConcurrentCalls: flags.maxCalls ?? DEFAULT_LIMITS.maxConcurrentCalls },
  };
}

export function modelPresent(dir: string): boolean {
  return existsSync(join(dir, 'model.json')) && existsSync(join(dir, 'weights.bin'));
}
