// An error the CLI reports as one line on stderr (`voicepulse: <detail>`) without a stack trace,
// exiting with the status its code maps to.
import { VoicePulseError } from '../core/errors.ts';

export type CliErrorCode =
  /** Bad arguments or flags: the usage was wrong. */
  | 'USAGE'
  /** The command could not do what was asked (missing file, no corpus, a server that failed to start). */
  | 'FAILED';

const EXIT_CODES: Readonly<Record<CliErrorCode, number>> = { USAGE: 2, FAILED: 1 };

export class CliError extends VoicePulseError<CliErrorCode> {
  constructor(message: string, code: CliErrorCode = 'FAILED', options?: { cause?: unknown }) {
    super(code, message, options);
  }

  get exitCode(): number {
    return EXIT_CODES[this.code];
  }
}
