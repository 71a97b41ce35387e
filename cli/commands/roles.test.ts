import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { CliError } from '../errors.ts';
import { addRoleOptions, speakerRoles } from './roles.ts';

describe('speaker-role flags', () => {
  it('default to the customer on the right channel and on mono, and take left/agent', () => {
    const command = addRoleOptions(new Command().exitOverride());
    command.parse(['node', 'x']);
    expect(speakerRoles(command.opts())).toEqual({ customerChannel: 'right', monoSpeaker: 'customer' });
    command.parse(['node', 'x', '--customer-channel', 'left', '--speaker', 'agent']);
    expect(speakerRoles(command.opts())).toEqual({ customerChannel: 'left', monoSpeaker: 'agent' });
  });

  it('refuses other values as usage errors naming the flag', () => {
    const bad = (flags: { customerChannel: string; speaker: string }) => {
      try {
        speakerRoles(flags);
      } catch (err) {
        return err;
      }
      return undefined;
    };
    expect(bad({ customerChannel: 'middle', speaker: 'customer' })).toMatchObject({
      code: 'USAGE',
      message: expect.stringContaining('--customer-channel'),
    });
    expect(bad({ customerChannel: 'left', speaker: 'robot' })).toBeInstanceOf(CliError);
  });
});
