// Which speaker each channel of a recording is. A stereo call holds one leg per channel: channel 0
// (left) is the agent and channel 1 (right) the customer unless told otherwise (the convention of
// core/audio/wav.ts and of most contact-centre recorders); a mono recording is one speaker, the
// customer unless told otherwise. Agent scoring then follows the tenant policy, as in live calls.
import type { SpeakerRole } from '../events/schema.ts';
import { RecordingError } from './errors.ts';

export type ChannelSide = 'left' | 'right';

export interface RoleOptions {
  /** Stereo: the customer's channel (default right). */
  customerChannel?: ChannelSide;
  /** Mono: who speaks (default customer). */
  monoSpeaker?: SpeakerRole;
}

export const DEFAULT_CUSTOMER_CHANNEL: ChannelSide = 'right';
export const DEFAULT_MONO_SPEAKER: SpeakerRole = 'customer';

/** The role of each channel, in channel order. */
export function channelRoles(channelCount: number, options: RoleOptions = {}): SpeakerRole[] {
  if (channelCount === 1) return [options.monoSpeaker ?? DEFAULT_MONO_SPEAKER];
  if (channelCount === 2)
    return (options.customerChannel ?? DEFAULT_CUSTOMER_CHANNEL) === 'right'
      ? ['agent', 'customer']
      : ['customer', 'agent'];
  throw new RecordingError(
    'TOO_MANY_CHANNELS',
    `${channelCount} channels: a call recording is mono (one speaker) or stereo (agent and customer)`,
  );
}
