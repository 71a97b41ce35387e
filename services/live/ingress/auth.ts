// Authentication of every ingress, shared with the query API (core/auth/tokens.ts): the operator
// token (VOICEPULSE_TOKEN) may stream and watch any tenant; a per-tenant token
// (VOICEPULSE_TENANT_TOKENS="acme=…,globex=…") only its own tenant's calls.
import type { IncomingMessage } from 'node:http';
import { authenticate, type Principal, type QueryAuthConfig } from '../../../core/auth/tokens.ts';

export type { Principal };
export type IngressAuth = QueryAuthConfig;

/** The token a request carries: `Authorization: Bearer …`, the `token` query parameter, or AudioHook's X-API-KEY. */
export function requestToken(req: IncomingMessage, url: URL): string | null {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  const apiKey = req.headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey.length > 0) return apiKey;
  return url.searchParams.get('token');
}

/** Who `token` is, or undefined when it is missing or unknown (compared in constant time). */
export function principalOf(auth: IngressAuth, token: string | null | undefined): Principal | undefined {
  return token ? authenticate(auth, `Bearer ${token}`) : undefined;
}

export function mayAccessTenant(p: Principal, tenantId: string): boolean {
  return p.kind === 'operator' || p.tenantId === tenantId;
}
