// Bearer tokens: who a request is, for every entry point (the live ingress, /watch, the query API).
// Two kinds of token:
//  - per-tenant tokens (VOICEPULSE_TENANT_TOKENS="acme=tokenA,globex=tokenB"): the token IS the
//    tenant; its holder streams, watches and queries only that tenant and cannot pick another;
//  - the operator token (VOICEPULSE_TOKEN): any tenant; where a tenant must be named and is not,
//    VOICEPULSE_DEFAULT_TENANT (or 'default').
// With no token configured every request is refused. Where a request carries its token (the
// Authorization header, a query parameter) is bearer.ts; this module only judges a token.
import { createHash, timingSafeEqual } from 'node:crypto';
import { VoicePulseError } from '../errors.ts';

export interface AuthConfig {
  operatorToken?: string;
  /** tenant id → token */
  tenantTokens?: Readonly<Record<string, string>>;
  defaultTenant?: string;
}

export type Principal = { kind: 'operator'; defaultTenant: string } | { kind: 'tenant'; tenantId: string };

export type AuthConfigErrorCode = 'BAD_TENANT_TOKENS';

export class AuthConfigError extends VoicePulseError<AuthConfigErrorCode> {}

/** Shortest tenant token accepted: shorter ones are guessable. */
const MIN_TENANT_TOKEN_LENGTH = 16;

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
    if (eq <= 0 || !tenant || token.length < MIN_TENANT_TOKEN_LENGTH) {
      throw new AuthConfigError(
        'BAD_TENANT_TOKENS',
        `VOICEPULSE_TENANT_TOKENS: '${pair.slice(0, 40)}' is not tenant=token (token ≥ ${MIN_TENANT_TOKEN_LENGTH} chars)`,
      );
    }
    out[tenant] = token;
  }
  return out;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Constant-time comparison (hashing first makes the lengths equal). */
function same(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** Who holds `token`, or undefined when it is missing or unknown. */
export function authenticate(config: AuthConfig, token: string | null | undefined): Principal | undefined {
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

/** Whether `p` may stream, watch or query the calls of `tenantId`. */
export function mayAccessTenant(p: Principal, tenantId: string): boolean {
  return p.kind === 'operator' || p.tenantId === tenantId;
}
