import type { Command } from 'commander';
import { CliError } from '../errors.ts';

// Filled by the corpora work: `voicepulse data stats [--json]`.
export function registerDataCommand(program: Command): void {
  const data = program.command('data').description('emotional speech corpora');
  data
    .command('stats')
    .description('counts and hours per corpus x emotion x split')
    .action(() => {
      throw new CliError('data stats: not implemented yet');
    });
}
