// What the WebSocket protocol adapters (twilio.ts, audiohook.ts, native.ts) share: the shape of an
// adapter and of the upgrade it may read, and the parsing of a JSON text message against the
// protocol's zod schema, a union discriminated by `tag` (Twilio's `event`, AudioHook's and native's `type`). Refusals: not JSON →
// MALFORMED_JSON; not an object or an unknown tag → UNKNOWN_EVENT; anything else the schema
// rejects → the code `codeOf` gives the first issue's path, else INVALID_MESSAGE, naming the field.
import type { IncomingHttpHeaders } from 'node:http';
import type { z } from 'zod';
import type { Principal } from '../../../core/auth/tokens.ts';
import { IngressError, type IngressErrorCode } from './errors.ts';

/** What an adapter may need of the upgrade request (AudioHook's headers). */
export interface UpgradeRequest {
  headers: IncomingHttpHeaders;
  /** Path and query as sent. */
  target: string;
}

/** Who an upgrade is, or the HTTP status that refuses it. */
export type UpgradeAuth = { principal: Principal | undefined } | { status: 400 | 401; message: string };

/** A protocol's handling of the messages of one connection, over its CallSession. */
export interface ProtocolAdapter {
  onText(text: string): void;
  onBinary(bytes: Uint8Array): void;
  /** The transport closed (before the session learns it). */
  onClose?(): void;
}

export function parseMessage<S extends z.ZodType>(
  text: string,
  schema: S,
  tag: 'event' | 'type',
  codeOf: (path: string) => IngressErrorCode | undefined = () => undefined,
): z.output<S> {
  return validateMessage(parseJson(text), schema, tag, codeOf);
}

/** A text message as JSON; MALFORMED_JSON when it is not. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new IngressError('MALFORMED_JSON', 'message is not valid JSON');
  }
}

/** A parsed JSON message checked against the protocol's schema (refusals as parseMessage's). */
export function validateMessage<S extends z.ZodType>(
  raw: unknown,
  schema: S,
  tag: 'event' | 'type',
  codeOf: (path: string) => IngressErrorCode | undefined = () => undefined,
): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = issue.path.join('.');
  const kind = (raw as Record<string, unknown> | null)?.[tag];
  if ((path === '' && issue.code === 'invalid_type') || (path === tag && issue.code === 'invalid_union'))
    throw new IngressError(
      'UNKNOWN_EVENT',
      `unknown ${tag === 'event' ? 'event' : 'message type'} ${JSON.stringify(kind) ?? 'undefined'}`,
    );
  throw new IngressError(
    codeOf(path) ?? 'INVALID_MESSAGE',
    `invalid ${String(kind)} message: ${path}: ${issue.message}`,
  );
}
