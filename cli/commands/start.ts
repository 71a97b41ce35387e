import type { Command } from 'commander';

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('run the full pipeline on embedded defaults with a demo call')
    .action(() => {
      // The live pipeline (gateway, workers, alerts, sink, query API) lands with the live-scoring issue.
      process.stdout.write(
        [
          'VoicePulse: the live pipeline is not wired up yet.',
          'Available now:',
          '  npx voicepulse features <file.wav> --kind logmel --json   # librosa-equal features',
          '  npx voicepulse data stats                                 # corpus counts per split',
          '',
        ].join('\n'),
      );
    });
}
