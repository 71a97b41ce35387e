// Errors of recorded-call analysis. Each is reported on one line for its file (or upload) and never
// stops the batch: the next recording is analysed.
import { VoicePulseError } from '../errors.ts';

export type RecordingErrorCode =
  | 'TOO_MANY_CHANNELS'
  | 'TOO_LONG'
  | 'BAD_METADATA'
  | 'NOT_FOUND'
  | 'CALL_ID_TAKEN';

export class RecordingError extends VoicePulseError<RecordingErrorCode> {}
