// Bearer tokens for the query API. Two kinds:
//  - per-tenant tokens (VOICEPULSE_TENANT_TOKENS="acme=tokenA,globex=tokenB"): the token IS the
//    tenant; its holder sees only that tenant's rows and cannot pick another;
//  - the operator token (VOICEPULSE_TOKEN, the gateway's token): any tenant, named with `?tenant=`,
//    defaulting to VOICEPULSE_DEFAULT_TENANT (or 'default').
// With no token configured every request is refused: analytics are never served unauthenticated.
import { createHash, timingSafeEqual } from 'node:crypto';

export interface QueryAuthConfig {
  operatorToken?: string;
  /** tenant id → token */
  tenantTokens?: Readonly<Record<string, string>>;
  defaultTenant?: string;
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

export function authConfigFromEnv(env: NodeJS.ProcessEnv = process.env): QueryAuthConfig {
  return {
    ...(env.VOICEPULSE_TOKEN ? { operatorToken: env.VOICEPULSE_TOKEN } : {}),
    ...(env.VOICEPULSE_TENANT_TOKENS
      ? { tenantTokens: parseTenantTokens(env.VOICEPULSE_TENANT_TOKENS) }
      : {}),
    ...(env.VOICEPULSE_DEFAULT_TENANT ? { defaultTenant: env.VOICEPULSE_DEFAULT_TENANT } : {}),
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
