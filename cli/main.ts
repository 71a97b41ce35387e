// The `voicepulse` command line. A command's module is imported only when that command runs (or its
// help is asked for), so `features` starts no model runtime and no runtime command loads training code
// or a devDependency: each runs from a production install (npm ci --omit=dev, .dockerignore applied;
// test/infra/production-install.test.ts and import-graph.test.ts hold that).
import { Command } from 'commander';
import { ConfigError, parseEnv, type Settings } from '../core/config/env.ts';
import { detailOf } from '../core/errors.ts';
import { asCliError } from './errors.ts';

interface LazyCommand {
  /** The line `voicepulse --help` lists; the module's own description shows in `voicepulse NAME --help`. */
  summary: string;
  /** Imports the command's module and returns its registration. */
  load: () => Promise<(program: Command, settings: Settings) => void>;
}

const modelCommands = async () => (await import('./commands/model.ts')).registerModelCommands;

const COMMANDS = new Map<string, LazyCommand>([
  [
    'start',
    {
      summary: 'serve on embedded defaults, play a two-speaker demo call, keep serving until Ctrl-C',
      load: async () => (await import('./commands/start.ts')).registerStartCommand,
    },
  ],
  [
    'serve',
    {
      summary: 'run the live service (ingress, scoring, alerts, query API, wallboard) in the foreground',
      load: async () => (await import('./commands/serve.ts')).registerServeCommand,
    },
  ],
  [
    'simulate',
    {
      summary: 'stream N concurrent two-speaker calls at real-time pace against a server',
      load: async () => (await import('./commands/simulate.ts')).registerSimulateCommand,
    },
  ],
  [
    'features',
    {
      summary: 'compute librosa-equal features of a WAV file',
      load: async () => (await import('./commands/features.ts')).registerFeaturesCommand,
    },
  ],
  [
    'data',
    {
      summary: 'emotional speech corpora (data stats)',
      load: async () => (await import('./commands/data.ts')).registerDataCommand,
    },
  ],
  [
    'analyze',
    {
      summary: 'analyse recorded calls (WAV, MP3, FLAC, Ogg/Opus) into history with their original time',
      load: async () => (await import('./commands/analyze.ts')).registerAnalyzeCommand,
    },
  ],
  [
    'export',
    {
      summary: 'export history (calls) as CSV or JSON lines',
      load: async () => (await import('./commands/export.ts')).registerExportCommand,
    },
  ],
  ['classify', { summary: 'score a WAV file with the emotion model', load: modelCommands }],
  ['eval', { summary: 'evaluate the emotion model on a labelled folder of WAVs', load: modelCommands }],
  ['train', { summary: 'train the emotion model (needs a development install)', load: modelCommands }],
]);

/** The environment, parsed once for the command that runs; a bad value stops it with one line. */
function environment(): Settings {
  try {
    const settings = parseEnv(process.env);
    for (const warning of settings.warnings) process.stderr.write(`voicepulse: warning: ${warning}\n`);
    return settings;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`voicepulse: ${err.message}\n`);
    process.exit(2);
  }
}

const program = new Command()
  .name('voicepulse')
  .description('VoicePulse: real-time emotion scoring for live phone calls')
  .showHelpAfterError();

// `voicepulse NAME …` and `voicepulse help NAME` load NAME's module; anything else (no command, --help,
// an unknown name) gets the summaries, so commander prints the list or suggests a name.
const argv = process.argv.slice(2);
const requested = COMMANDS.get((argv[0] === 'help' ? argv[1] : argv[0]) ?? '');
if (requested) (await requested.load())(program, environment());
else for (const [name, c] of COMMANDS) program.command(name).summary(c.summary);

/** Every failure, thrown or escaped from a callback, ends as one line with its documented status. */
function fail(err: unknown): never {
  const e = asCliError(err);
  process.stderr.write(`voicepulse: ${detailOf(e)}\n`);
  process.exit(e.exitCode);
}
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  fail(err);
}
