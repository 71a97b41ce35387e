// The speaker-role flags of the commands that score recordings (`analyze`, `classify`): which channel
// of a stereo call is the customer's, and who speaks in a mono one.
import type { Command } from 'commander';
import type { RoleOptions } from '../../core/recordings/roles.ts';
import { CliError } from '../errors.ts';

export interface RoleFlags {
  customerChannel: string;
  speaker: string;
}

export function addRoleOptions(command: Command): Command {
  return command
    .option('--customer-channel <side>', 'stereo: the customer’s channel, left or right', 'right')
    .option('--speaker <role>', 'mono: who speaks, customer or agent', 'customer');
}

/** The roles the flags name; any other value is a usage error. */
export function speakerRoles(flags: RoleFlags): RoleOptions {
  const { customerChannel, speaker } = flags;
  if (customerChannel !== 'left' && customerChannel !== 'right')
    throw new CliError(`--customer-channel must be left or right, got '${customerChannel}'`, 'USAGE');
  if (speaker !== 'customer' && speaker !== 'agent')
    throw new CliError(`--speaker must be customer or agent, got '${speaker}'`, 'USAGE');
  return { customerChannel, monoSpeaker: speaker };
}
