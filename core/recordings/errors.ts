// Errors of recorded-call analysis. Each is reported on one line for its file (or upload) and never
// stops the batch: the next recording is analysed.
import { VoicePulseError } from '../errors.ts';

export type RecordingErrorCode =
  | 'TOO_MANY_CHANNELS'
  | 'TOO_LONG'
  | 'BAD_METADATA'
  /** Other audio (or a live call) is stored under the recording's call id. */
  | 'CALL_ID_TAKEN';

export class RecordingError extends VoicePulseError<RecordingErrorCode> {}
