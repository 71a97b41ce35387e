// Genesys AudioHook authentication as Genesys's client and its reference server do it: the
// `X-API-KEY` header names the client, and an HTTP Message Signature (draft-ietf-httpbis-message-
// signatures, HMAC-SHA256 keyed with the client secret) covers the request target, the authority,
// the three `Audiohook-*` headers and `x-api-key`. Policy (the reference server's):
//  - `keyid` equals the API key, `alg` (when given) is hmac-sha256, `nonce` has ≥ 22 characters and
//    is never accepted twice while its signature could still be valid;
//  - `created` is required, at most 10 s old and not in the future, `expires` not past (3 s skew);
//  - only the components below may be covered, and all of REQUIRED_COMPONENTS must be;
//  - the signature base is rebuilt from the parsed Signature-Input, so padding or reordering tricks
//    sign nothing.
// Per-tenant credentials: VOICEPULSE_AUDIOHOOK_CREDENTIALS="acme=<api key>:<base64 client secret>,…".
// Structured fields are parsed and serialised by `structured-headers` (RFC 8941); the signature base
// and the HMAC are the few lines the draft defines, written here.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { type InnerList, type Item, parseDictionary, serializeInnerList } from 'structured-headers';
import { VoicePulseError } from '../errors.ts';

export interface AudioHookCredential {
  tenant: string;
  /** The client secret, decoded. */
  secret: Buffer;
}

/** API key → its tenant and client secret. */
export type AudioHookCredentials = Readonly<Record<string, AudioHookCredential>>;

export class AudioHookCredentialsError extends VoicePulseError<'BAD_AUDIOHOOK_CREDENTIALS'> {}

/** Shortest client secret accepted (decoded bytes); Genesys generates 32. */
export const MIN_CLIENT_SECRET_BYTES = 16;
const API_KEY = /^[A-Za-z0-9+/_-]{16,256}={0,2}$/;
const BASE64 = /^(?:[A-Za-z\d+/]{4})*(?:[A-Za-z\d+/]{3}=?|[A-Za-z\d+/]{2}(?:==)?)?$/;

/** Parses VOICEPULSE_AUDIOHOOK_CREDENTIALS (`tenant=apiKey:base64Secret,…`); never repeats a secret. */
export function parseAudioHookCredentials(value: string): Record<string, AudioHookCredential> {
  const out: Record<string, AudioHookCredential> = {};
  const bad = (why: string) => new AudioHookCredentialsError('BAD_AUDIOHOOK_CREDENTIALS', why);
  for (const entry of value
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const eq = entry.indexOf('=');
    const colon = entry.indexOf(':', eq);
    const tenant = entry.slice(0, eq).trim();
    if (eq <= 0 || colon < 0 || !tenant) throw bad('an entry is not tenant=apiKey:secret');
    const apiKey = entry.slice(eq + 1, colon).trim();
    const secret = entry.slice(colon + 1).trim();
    if (!API_KEY.test(apiKey)) throw bad(`the API key of ${tenant} is not 16+ characters of base64`);
    if (!BASE64.test(secret) || Buffer.from(secret, 'base64').length < MIN_CLIENT_SECRET_BYTES)
      throw bad(`the client secret of ${tenant} is not base64 of at least ${MIN_CLIENT_SECRET_BYTES} bytes`);
    if (out[apiKey]) throw bad(`an API key is given twice (${tenant})`);
    out[apiKey] = { tenant, secret: Buffer.from(secret, 'base64') };
  }
  return out;
}

/** What Genesys signs; a signature that leaves one out is refused. */
export const REQUIRED_COMPONENTS = [
  '@request-target',
  '@authority',
  'audiohook-organization-id',
  'audiohook-session-id',
  'audiohook-correlation-id',
  'x-api-key',
] as const;

/** Derived components we can compute for a WebSocket upgrade (GET, path and query from the URL). */
const DERIVED = new Set(['@request-target', '@authority', '@method', '@path', '@query']);

export const MAX_SIGNATURE_AGE_S = 10;
export const CLOCK_SKEW_S = 3;
export const MIN_NONCE_LENGTH = 22;

/** Nonces seen while their signatures could still be valid: a replayed upgrade is refused. */
export class NonceCache {
  private readonly seen = new Map<string, number>();

  /** Records `nonce` until `untilS`; false when it was already there. */
  add(nonce: string, nowS: number, untilS: number): boolean {
    for (const [n, t] of this.seen) if (t < nowS) this.seen.delete(n);
    if (this.seen.has(nonce)) return false;
    this.seen.set(nonce, untilS);
    return true;
  }
}

export interface SignedRequest {
  headers: IncomingHttpHeaders;
  /** Path and query as sent (`req.url`). */
  target: string;
}

/** A header's value as the draft canonicalises it (trimmed, obs-fold removed, repeats joined). */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  const one = (s: string) => s.trim().replace(/[ \t]*\r\n[ \t]+/g, ' ');
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.map(one).join(', ') : one(v);
}

function componentValue(req: SignedRequest, name: string): string | undefined {
  const url = new URL(req.target, 'http://audiohook');
  switch (name) {
    case '@request-target':
      return req.target;
    case '@authority':
      return headerValue(req.headers, 'host');
    case '@method':
      return 'GET';
    case '@path':
      return url.pathname;
    case '@query':
      return url.search || '?';
    default:
      return headerValue(req.headers, name);
  }
}

/**
 * Verifies the request's signature made with `secret` for `apiKey`; returns why it fails, or
 * undefined when it holds. A request without Signature and Signature-Input is "unsigned".
 */
export function signatureProblem(
  req: SignedRequest,
  apiKey: string,
  secret: Uint8Array,
  nonces: NonceCache,
  nowS: number = Date.now() / 1000,
): string | undefined {
  const input = headerValue(req.headers, 'signature-input');
  const signature = headerValue(req.headers, 'signature');
  if (!input && !signature) return 'unsigned request';
  let inputs: Map<string, Item | InnerList>;
  let signatures: Map<string, Item | InnerList>;
  try {
    inputs = parseDictionary(input ?? '');
    signatures = parseDictionary(signature ?? '');
  } catch {
    return 'Signature or Signature-Input is not a structured-field dictionary';
  }
  const [label, covered] = [...inputs][0] ?? [];
  const sig = label === undefined ? undefined : signatures.get(label);
  if (!covered || !Array.isArray(covered[0])) return 'Signature-Input has no inner list of components';
  if (!sig || !(sig[0] instanceof ArrayBuffer)) return `no byte-sequence Signature for label ${label}`;
  const [items, params] = covered as InnerList;

  const keyid = params.get('keyid');
  const nonce = params.get('nonce');
  const created = params.get('created');
  const expires = params.get('expires');
  const alg = params.get('alg');
  if (keyid !== apiKey) return 'keyid is not the X-API-KEY';
  if (alg !== undefined && alg !== 'hmac-sha256') return `unsupported alg ${String(alg)}`;
  if (typeof nonce !== 'string' || nonce.length < MIN_NONCE_LENGTH)
    return `nonce missing or shorter than ${MIN_NONCE_LENGTH} characters`;
  if (typeof created !== 'number' || !Number.isInteger(created)) return 'created missing';
  if (created > nowS + CLOCK_SKEW_S) return 'created is in the future';
  if (nowS - created > MAX_SIGNATURE_AGE_S + CLOCK_SKEW_S) return 'signature too old';
  if (expires !== undefined && (typeof expires !== 'number' || expires < nowS - CLOCK_SKEW_S))
    return 'signature expired';

  const lines: string[] = [];
  const names = new Set<string>();
  for (const [name, itemParams] of items) {
    if (typeof name !== 'string' || itemParams.size > 0 || names.has(name))
      return 'components must be distinct plain strings';
    if (name.startsWith('@') && !DERIVED.has(name)) return `unsupported component ${name}`;
    const value = componentValue(req, name);
    if (value === undefined) return `covered header ${name} is missing`;
    names.add(name);
    lines.push(`"${name}": ${value}`);
  }
  const uncovered = REQUIRED_COMPONENTS.filter((c) => !names.has(c));
  if (uncovered.length > 0) return `signature does not cover ${uncovered.join(', ')}`;
  lines.push(`"@signature-params": ${serializeInnerList(covered as InnerList)}`);

  const expected = createHmac('sha256', secret).update(lines.join('\n')).digest();
  const given = Buffer.from(sig[0]);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'signature mismatch';
  // The signature stays acceptable until created + age + skew: so long the nonce is remembered.
  if (!nonces.add(nonce, nowS, created + MAX_SIGNATURE_AGE_S + CLOCK_SKEW_S)) return 'nonce replayed';
  return undefined;
}
