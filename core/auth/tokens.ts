// Bearer tokens for the query API. Two kinds:
//  - per-tenant tokens (VOICEPULSE_TENANT_TOKENS="acme=tokenA,globex=tokenB"): the token IS the
//    tenant; its holder sees only that tenant's rows and cannot pick another;
//  - the operator token (VOICEPULSE_TOKEN, the gateway's token): any tenant, named with `?tenant=`,
//    defaulting to VOICEPULSE_DEFAULT_TENANT (or 'default').
// With no token configured every request is refused: analytics are never served unauthenticated.
// Each principal's query rate limits (ratelimit.ts) come from VOICEPULSE_QUERY_* with the tokens.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RateLimitConfig } from '../../services/live/query/ratelimit.ts';

export interface QueryAuthConfig {
  operatorToken?: string;
  /** tenant id → token */
  tenantTokens?: Readonly<Record<string, string>>;
  defaultTenant?: string;
  /** Per-principal limits; unset fields take DEFAULT_RATE_LIMIT. */
  rateLimit?: Partial<RateLimitConfig>;
}

export type Principal = { kind: 'operator'; defaultTenant: string } | { kind: 'tenant'; tenantId: string };

export class AuthConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthConfigError';
  }
}

/** Parses VOICEPULSE_TENANT_TOKENS (`tenant=token,…`). */
export function parseTenantTokens(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const eq = pair.indexOf('=');
    const tenant = pair.slice(0, eq).trim();
    const token = pair.slice(eq + 1).trim();
    if (eq <= 0 || !tenant || token.length < 16) {
      throw new AuthConfigError(
        `VOICEPULSE_TENANT_TOKENS: '${pair.slice(0, 40)}' is not tenant=token (token ≥ 16 chars)`,
      );
    }
    out[tenant] = token;
  }
  return out;
}

const RATE_LIMIT_ENV = {
  ratePerSecond: 'VOICEPULSE_QUERY_RATE_PER_SECOND',
  burst: 'VOICEPULSE_QUERY_BURST',
  maxConcurrent: 'VOICEPULSE_QUERY_MAX_CONCURRENT',
} as const;

/** The VOICEPULSE_QUERY_* limits that are set: a positive number per second, positive integers otherwise. */
function rateLimitFromEnv(env: NodeJS.ProcessEnv): Partial<RateLimitConfig> {
  const out: Partial<RateLimitConfig> = {};
  for (const [field, name] of Object.entries(RATE_LIMIT_ENV) as [keyof RateLimitConfig, string][]) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    const pattern = field === 'ratePerSecond' ? /^\d{1,6}(\.\d{1,3})?$/ : /^\d{1,6}$/;
    const n = Number(value);
    if (!pattern.test(value) || n <= 0) {
      const expected = field === 'ratePerSecond' ? 'a positive number' : 'a positive integer';
      throw new AuthConfigError(`${name}=${value.slice(0, 40)}: expected ${expected}`);
    }
    out[field] = n;
  }
  return out;
}

export function authConfigFromEnv(env: NodeJS.ProcessEnv = process.env): QueryAuthConfig {
  const rateLimit = rateLimitFromEnv(env);
  return {
    ...(env.VOICEPULSE_TOKEN ? { operatorToken: env.VOICEPULSE_TOKEN } : {}),
    ...(env.VOICEPULSE_TENANT_TOKENS
      ? { tenantTokens: parseTenantTokens(env.VOICEPULSE_TENANT_TOKENS) }
      : {}),
    ...(env.VOICEPULSE_DEFAULT_TENANT ? { defaultTenant: env.VOICEPULSE_DEFAULT_TENANT } : {}),
    ...(Object.keys(rateLimit).length ? { rateLimit } : {}),
  };
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Constant-time comparison (hashing first makes the lengths equal). */
function same(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

export function authenticate(
  config: QueryAuthConfig,
  authorization: string | undefined,
): Principal | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  const token = m?.[1];
  if (!token) return undefined;
  let found: Principal | undefined;
  // Check every token without early exit so timing does not reveal which kind matched.
  if (config.operatorToken && same(config.operatorToken, token)) {
    found = { kind: 'operator', defaultTenant: config.defaultTenant ?? 'default' };
  }
  for (const [tenantId, t] of Object.entries(config.tenantTokens ?? {})) {
    if (same(t, token) && !found) found = { kind: 'tenant', tenantId };
  }
  return found;
}
