// The one base of every error VoicePulse throws on purpose. A domain declares its codes as a string
// union in UPPER_SNAKE (the style of core/audio/wav.ts) and subclasses VoicePulseError with it, so a
// caller can switch on `code` exhaustively and a one-line report names the code first. Wire codes of
// the protocols (WebSocket close reasons, gRPC statuses, HTTP statuses) are mapped from these codes
// once, at the edge that speaks the protocol; they are not error codes of their own.

export class VoicePulseError<Code extends string = string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
    this.name = new.target.name;
  }
}

/** The message without the leading `CODE: ` (for protocols that carry the code separately). */
export function detailOf(err: VoicePulseError): string {
  const prefix = `${err.code}: `;
  return err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
}
