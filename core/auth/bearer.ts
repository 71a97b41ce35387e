// Where a request carries its token. One parser of the Authorization header for every entry point
// (REST, WebSocket upgrades, gRPC metadata): the `Bearer` scheme, case-insensitive as RFC 7235
// says of auth schemes. Callers that cannot set headers (Twilio, browsers opening a WebSocket) may
// pass the token as a `token` query parameter; Genesys AudioHook sends it as X-API-KEY.
import type { IncomingHttpHeaders } from 'node:http';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** The token of an `Authorization: Bearer <token>` header value, or undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  return BEARER.exec(authorization ?? '')?.[1];
}

/** The token a request carries: the bearer header, else AudioHook's X-API-KEY, else `?token=`. */
export function requestToken(headers: IncomingHttpHeaders, url: URL): string | undefined {
  const bearer = bearerToken(headers.authorization);
  if (bearer) return bearer;
  const apiKey = headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey.length > 0) return apiKey;
  return url.searchParams.get('token') ?? undefined;
}
