// Bearer tokens: who a request is, for every entry point (the live ingress, /watch, the query API).
// Two kinds of token:
//  - per-tenant tokens (VOICEPULSE_TENANT_TOKENS="acme=tokenA,globex=tokenB"): the token IS the
//    tenant; its holder streams, watches and queries only that tenant and cannot pick another;
//  - the operator token (VOICEPULSE_TOKEN): any tenant; where a tenant must be named and is not,
//    VOICEPULSE_DEFAULT_TENANT (or 'default').
// With no token configured every request is refused. Where a request carries its token (the
// Authorization header, a query parameter) is bearer.ts; this module only judges a token.
// Secrets are refused at start when guessable (secretWeakness): shorter than 16 characters, under
// 48 bits by their own character statistics, or a placeholder from the manifests and docs.
import { createHash, timingSafeEqual } from 'node:crypto';
import { VoicePulseError } from '../errors.ts';

export interface AuthConfig {
  operatorToken?: string;
  /** tenant id → token */
  tenantTokens?: Readonly<Record<string, string>>;
  defaultTenant?: string;
}

export type Principal = { kind: 'operator'; defaultTenant: string } | { kind: 'tenant'; tenantId: string };

export type AuthConfigErrorCode = 'BAD_TENANT_SECRETS';

export class AuthConfigError extends VoicePulseError<AuthConfigErrorCode> {}

/** Shortest secret accepted: shorter ones are guessable. */
export const MIN_SECRET_LENGTH = 16;
/** Least entropy a secret must show, estimated from its own characters (length × Shannon entropy). */
export const MIN_SECRET_BITS = 48;
/** Words of the placeholders in manifests and docs (compared without case or punctuation). */
const PLACEHOLDERS = [
  'changeme',
  'replaceme',
  'chooseasecret',
  'yoursecret',
  'yourtoken',
  'example',
  'xxxxxx',
];

/** Estimated entropy of `s` in bits: its length times the Shannon entropy of its characters. */
function estimatedBits(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let perChar = 0;
  for (const n of counts.values()) perChar -= (n / s.length) * Math.log2(n / s.length);
  return perChar * s.length;
}

/** Why `secret` is too weak to accept, or undefined when it is fine. Never repeats the secret. */
export function secretWeakness(secret: string): string | undefined {
  if (secret.length < MIN_SECRET_LENGTH) return `is shorter than ${MIN_SECRET_LENGTH} characters`;
  const plain = secret.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (PLACEHOLDERS.some((p) => plain.includes(p))) return 'is a placeholder, not a secret';
  if (estimatedBits(secret) < MIN_SECRET_BITS)
    return `is too predictable (under ${MIN_SECRET_BITS} bits: use random characters)`;
  return undefined;
}

/**
 * Parses `tenant=secret,…` (VOICEPULSE_TENANT_TOKENS, VOICEPULSE_TWILIO_AUTH_TOKENS) into tenant →
 * secret, refusing weak secrets; the error names `variable` and the tenant, never the secret.
 */
export function parseTenantSecrets(variable: string, value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const eq = pair.indexOf('=');
    const tenant = pair.slice(0, eq).trim();
    const secret = pair.slice(eq + 1).trim();
    if (eq <= 0 || !tenant)
      throw new AuthConfigError('BAD_TENANT_SECRETS', `${variable}: an entry is not tenant=secret`);
    const weakness = secretWeakness(secret);
    if (weakness)
      throw new AuthConfigError('BAD_TENANT_SECRETS', `${variable}: the secret of ${tenant} ${weakness}`);
    out[tenant] = secret;
  }
  return out;
}

/** Parses VOICEPULSE_TENANT_TOKENS (`tenant=token,…`). */
export function parseTenantTokens(value: string): Record<string, string> {
  return parseTenantSecrets('VOICEPULSE_TENANT_TOKENS', value);
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
