import type { Command } from 'commander';
import { CliError } from '../errors.ts';

// Filled by the features work: `voicepulse features <file.wav> --kind ... --json`.
export function registerFeaturesCommand(program: Command): void {
  program
    .command('features <file>')
    .description('compute librosa-equal features of a WAV file')
    .action(() => {
      throw new CliError('features: not implemented yet');
    });
}
