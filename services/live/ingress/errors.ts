// Every way the ingress refuses a connection or ends a session, as one code union, and the one table
// that gives each code its wire form on both transports: the WebSocket close code and the gRPC
// status. The close reason is the code in kebab case (`CALL_LIMIT` → `call-limit`), so the reasons
// documented in services/live/README.md are the codes themselves. Adapters throw IngressError with
// their protocol's vocabulary (Twilio `MEDIA_BEFORE_START`, AudioHook `AUDIO_BEFORE_OPEN`); the
// session and the transports map it here, and nowhere else.
import { status } from '@grpc/grpc-js';
import { VoicePulseError } from '../../../core/errors.ts';

/** WebSocket close codes (RFC 6455 §7.4.1; 4xxx are ours, echoing the HTTP status they resemble). */
export const CLOSE = {
  normal: 1000,
  goingAway: 1001,
  unsupported: 1003,
  invalidPayload: 1007,
  policy: 1008,
  tooBig: 1009,
  internal: 1011,
  tryAgainLater: 1013,
  notFound: 4404,
  timeout: 4408,
  conflict: 4409,
} as const;

interface Wire {
  close: number;
  grpc: status;
}

const WIRE = {
  // The message is not the protocol's: 1007 (invalid payload) / INVALID_ARGUMENT.
  MALFORMED_JSON: { close: CLOSE.invalidPayload, grpc: status.INVALID_ARGUMENT },
  INVALID_MESSAGE: { close: CLOSE.invalidPayload, grpc: status.INVALID_ARGUMENT },
  BAD_BASE64: { close: CLOSE.invalidPayload, grpc: status.INVALID_ARGUMENT },
  BAD_FRAME: { close: CLOSE.invalidPayload, grpc: status.INVALID_ARGUMENT },
  BAD_SEQ: { close: CLOSE.invalidPayload, grpc: status.INVALID_ARGUMENT },
  // A message out of order: the protocol's state does not allow it.
  DUPLICATE_START: { close: CLOSE.invalidPayload, grpc: status.FAILED_PRECONDITION },
  MEDIA_BEFORE_START: { close: CLOSE.invalidPayload, grpc: status.FAILED_PRECONDITION },
  AUDIO_WHILE_PAUSED: { close: CLOSE.invalidPayload, grpc: status.FAILED_PRECONDITION },
  AUDIO_BEFORE_START: { close: CLOSE.notFound, grpc: status.FAILED_PRECONDITION },
  AUDIO_BEFORE_OPEN: { close: CLOSE.notFound, grpc: status.FAILED_PRECONDITION },
  UNKNOWN_CALL: { close: CLOSE.notFound, grpc: status.FAILED_PRECONDITION },
  UNKNOWN_STREAM: { close: CLOSE.notFound, grpc: status.NOT_FOUND },
  UNKNOWN_SESSION: { close: CLOSE.notFound, grpc: status.NOT_FOUND },
  // Something we do not speak: 1003 (unsupported data).
  UNKNOWN_EVENT: { close: CLOSE.unsupported, grpc: status.INVALID_ARGUMENT },
  UNSUPPORTED_CODEC: { close: CLOSE.unsupported, grpc: status.INVALID_ARGUMENT },
  BINARY_NOT_SUPPORTED: { close: CLOSE.unsupported, grpc: status.INVALID_ARGUMENT },
  // Who may do what: 1008 (policy violation).
  UNAUTHORIZED: { close: CLOSE.policy, grpc: status.UNAUTHENTICATED },
  AUTH_TIMEOUT: { close: CLOSE.policy, grpc: status.UNAUTHENTICATED },
  TENANT_FORBIDDEN: { close: CLOSE.policy, grpc: status.PERMISSION_DENIED },
  BAD_WATCH_TARGET: { close: CLOSE.policy, grpc: status.INVALID_ARGUMENT },
  // Admission of a call.
  DUPLICATE_CALL: { close: CLOSE.conflict, grpc: status.ALREADY_EXISTS },
  CALL_ENDING: { close: CLOSE.tryAgainLater, grpc: status.UNAVAILABLE },
  TENANT_CALL_LIMIT: { close: CLOSE.tryAgainLater, grpc: status.RESOURCE_EXHAUSTED },
  CALL_LIMIT: { close: CLOSE.tryAgainLater, grpc: status.RESOURCE_EXHAUSTED },
  OVERLOADED: { close: CLOSE.tryAgainLater, grpc: status.UNAVAILABLE },
  SCORING_UNAVAILABLE: { close: CLOSE.tryAgainLater, grpc: status.UNAVAILABLE },
  // The pod is shutting down (SIGTERM): its calls go on, new ones belong on another pod.
  DRAINING: { close: CLOSE.tryAgainLater, grpc: status.UNAVAILABLE },
  // The session's own deadlines and failures. The idle deadline is the server's, not the caller's
  // (DEADLINE_EXCEEDED would say the client's own deadline passed): the stream is ABORTED.
  IDLE_TIMEOUT: { close: CLOSE.timeout, grpc: status.ABORTED },
  INTERNAL_ERROR: { close: CLOSE.internal, grpc: status.INTERNAL },
} as const satisfies Record<string, Wire>;

export type IngressErrorCode = keyof typeof WIRE;

export const INGRESS_ERROR_CODES = Object.keys(WIRE) as readonly IngressErrorCode[];

/** Why a call may not start (CallRegistry.admit). */
export type RefusalCode = Extract<
  IngressErrorCode,
  | 'TENANT_FORBIDDEN'
  | 'SCORING_UNAVAILABLE'
  | 'DRAINING'
  | 'DUPLICATE_CALL'
  | 'CALL_ENDING'
  | 'TENANT_CALL_LIMIT'
  | 'CALL_LIMIT'
  | 'OVERLOADED'
>;

/** A refused connection, message or call: the session ends with this code's close code / gRPC status. */
export class IngressError extends VoicePulseError<IngressErrorCode> {}

/** The error's wire form: close code and reason (WebSocket), status (gRPC). */
export function wireOf(err: IngressError): { close: number; reason: string; grpc: status } {
  const { close, grpc } = WIRE[err.code];
  return { close, reason: reasonOf(err.code), grpc };
}

/** The WebSocket close reason (and metric label) of a code: `CALL_LIMIT` → `call-limit`. */
export function reasonOf(code: IngressErrorCode): string {
  return code.toLowerCase().replaceAll('_', '-');
}

/** `err` as an IngressError: ours as they are, anything else an INTERNAL_ERROR keeping it as the cause. */
export function asIngressError(err: unknown): IngressError {
  if (err instanceof IngressError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new IngressError('INTERNAL_ERROR', message, { cause: err });
}
