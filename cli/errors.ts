// An error the CLI reports as one line on stderr (`voicepulse: <detail>`) without a stack trace,
// exiting with the status its code maps to.
import type { AudioFileError } from '../core/audio/file.ts';
import { detailOf, VoicePulseError } from '../core/errors.ts';

export type CliErrorCode =
  /** Bad arguments or flags: the usage was wrong. */
  | 'USAGE'
  /** The command could not do what was asked (missing file, no corpus, a server that failed to start). */
  | 'FAILED'
  /** An input file refused before reading: not a regular file (device, FIFO) or over the size limit. */
  | 'INPUT'
  /** The server could not be reached or refused the connection (closed port, wrong token). */
  | 'UNAVAILABLE'
  /** An unexpected error: a bug, reported in one line all the same. */
  | 'INTERNAL';

/** The exit statuses README's command-line section documents. */
const EXIT_CODES: Readonly<Record<CliErrorCode, number>> = {
  FAILED: 1,
  USAGE: 2,
  INPUT: 3,
  UNAVAILABLE: 4,
  INTERNAL: 70,
};

export class CliError extends VoicePulseError<CliErrorCode> {
  constructor(message: string, code: CliErrorCode = 'FAILED', options?: { cause?: unknown }) {
    super(code, message, options);
  }

  get exitCode(): number {
    return EXIT_CODES[this.code];
  }
}

/** Errors of the network stack (and gRPC's UNAVAILABLE) that mean the server was not there. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EPIPE',
  14,
]);

/** Any error as a CliError, so that even a bug is one line with a documented status. */
export function asCliError(err: unknown): CliError {
  if (err instanceof CliError) return err;
  const message = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
  const code = (err as { code?: unknown } | null)?.code;
  if (UNREACHABLE.has(code as string))
    return new CliError(`cannot reach the server: ${message}`, 'UNAVAILABLE', { cause: err });
  return new CliError(message, 'INTERNAL', { cause: err });
}

/** An audio file the shared check refused: missing or unreadable FAILED, a device or too large INPUT. */
export function inputError(err: AudioFileError): CliError {
  const code = err.code === 'NOT_FOUND' || err.code === 'UNREADABLE' ? 'FAILED' : 'INPUT';
  return new CliError(detailOf(err), code, { cause: err });
}
