// Test support: Genesys AudioHook upgrades as Genesys's client builds them — the Audiohook-* headers,
// X-API-KEY and, given a client secret, the HTTP Message Signature over them (HMAC-SHA256).
import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { type InnerList, serializeDictionary, serializeInnerList } from 'structured-headers';
import { REQUIRED_COMPONENTS } from '../audiohook.ts';

export const ORG = '11111111-2222-4333-8444-555555555555';
export const SESSION = '00000000-0000-4000-8000-000000000001';

export interface SignOptions {
  host: string;
  target: string;
  apiKey: string;
  /** The client secret; none: unsigned. */
  secret?: Uint8Array;
  sessionId?: string;
  organizationId?: string;
  correlationId?: string;
  /** Unix seconds; default now. */
  created?: number;
  nonce?: string;
  /** Components to sign; default what Genesys signs. */
  components?: string[];
}

/** The upgrade headers Genesys sends (lower-case names, as Node presents them). */
export function audiohookHeaders(o: SignOptions): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = {
    host: o.host,
    'audiohook-organization-id': o.organizationId ?? ORG,
    'audiohook-session-id': o.sessionId ?? SESSION,
    'audiohook-correlation-id': o.correlationId ?? 'e2e-correlation',
    'x-api-key': o.apiKey,
  };
  if (!o.secret) return headers;
  const components = o.components ?? [...REQUIRED_COMPONENTS];
  const value = (c: string) =>
    c === '@request-target' ? o.target : c === '@authority' ? o.host : String(headers[c]);
  const created = o.created ?? Math.floor(Date.now() / 1000);
  const params = new Map<string, string | number>([
    ['keyid', o.apiKey],
    ['nonce', o.nonce ?? randomBytes(18).toString('base64')],
    ['alg', 'hmac-sha256'],
    ['created', created],
    ['expires', created + 30],
  ]);
  const input: InnerList = [components.map((c) => [c, new Map()]), params];
  const base = [
    ...components.map((c) => `"${c}": ${value(c)}`),
    `"@signature-params": ${serializeInnerList(input)}`,
  ];
  const signature = createHmac('sha256', o.secret).update(base.join('\n')).digest();
  return {
    ...headers,
    'signature-input': serializeDictionary({ sig1: input }),
    signature: serializeDictionary({ sig1: [signature, new Map()] }),
  };
}
