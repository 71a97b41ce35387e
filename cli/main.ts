import { Command } from 'commander';
import { registerDataCommand } from './commands/data.ts';
import { registerFeaturesCommand } from './commands/features.ts';
import { registerModelCommands } from './commands/model.ts';
import { registerServeCommand } from './commands/serve.ts';
import { registerSimulateCommand } from './commands/simulate.ts';
import { registerStartCommand } from './commands/start.ts';
import { CliError } from './errors.ts';

const program = new Command()
  .name('voicepulse')
  .description('VoicePulse: real-time emotion scoring for live phone calls')
  .showHelpAfterError();

registerStartCommand(program);
registerServeCommand(program);
registerSimulateCommand(program);
registerFeaturesCommand(program);
registerDataCommand(program);
registerModelCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CliError) {
    process.stderr.write(`voicepulse: ${err.message}\n`);
    process.exit(err.exitCode);
  }
  throw err;
}
