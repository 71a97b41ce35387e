import { VoicePulseError } from '../errors.ts';

/** What went wrong talking to ClickHouse or preparing what is sent to it. */
export type ClickHouseErrorCode =
  /** Connection-level failure (refused, reset, timed out): back off and retry. */
  | 'UNAVAILABLE'
  /** A query parameter does not fit its declared `{name:Type}` (or has no value). */
  | 'BAD_PARAM'
  /** A name that must be a plain identifier (database, cluster) is not one. */
  | 'BAD_IDENTIFIER'
  /** A migration statement has no cluster (Replicated/Distributed) form. */
  | 'NO_CLUSTER_FORM';

export class ClickHouseError extends VoicePulseError<ClickHouseErrorCode> {}
