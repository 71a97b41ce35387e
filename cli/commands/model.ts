import type { Command } from 'commander';
import { CliError } from '../errors.ts';

// Filled by the model work: `voicepulse train|eval|classify`.
export function registerModelCommands(program: Command): void {
  program
    .command('classify <file>')
    .description('score a WAV file with the committed emotion model')
    .action(() => {
      throw new CliError('classify: not implemented yet');
    });
}
