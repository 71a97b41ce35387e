// Errors of a training run: data the pipeline cannot train or evaluate on, networks that cannot form
// one ensemble, a model card that cannot be refreshed.
import { VoicePulseError } from '../core/errors.ts';

export type TrainingErrorCode =
  /** No six-class clip under the data root. */
  | 'NO_CLIPS'
  /** A split that training needs (train, validation) has no clips. */
  | 'EMPTY_SPLIT'
  /** Networks that cannot be averaged as one ensemble (none, or of different shapes). */
  | 'ENSEMBLE_MISMATCH'
  /** A model card without the section a refresh rewrites. */
  | 'CARD_SECTION_MISSING'
  /** A model to fine-tune whose network is not the one the settings train. */
  | 'INIT_MISMATCH'
  /** A teacher to distil whose input differs from the network trained, or no distillation settings. */
  | 'TEACHER_MISMATCH'
  /** Settings that contradict each other (speaker statistics without the network's speaker channels, a pool that does not divide the window). */
  | 'INVALID_SETTINGS';

export class TrainingError extends VoicePulseError<TrainingErrorCode> {}
