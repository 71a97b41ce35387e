// How a command reads an audio file (classify, eval, features; analyze through its batch): through
// the one check of core/audio/file.ts — a regular file within the size limit, `--max-file-mb` else
// VOICEPULSE_MAX_AUDIO_FILE_MB (512 MiB) — whose refusal is one line with its exit code; a file whose
// header lies about a size is read all the same, with one warning line for the file however many
// sizes it lies about.
import { Option } from 'commander';
import { AudioFileError, readAudioFile } from '../core/audio/file.ts';
import { MAX_AUDIO_FILE_MB, type Settings } from '../core/config/env.ts';
import { inputError } from './errors.ts';
import { intOption } from './flags.ts';

export interface MaxFileFlag {
  maxFileMb?: number;
}

/** The `--max-file-mb` option of a command that reads audio. */
export function maxFileOption(): Option {
  return new Option(
    '--max-file-mb <mib>',
    'largest audio file read, in MiB (env VOICEPULSE_MAX_AUDIO_FILE_MB, default 512)',
  ).argParser(intOption('--max-file-mb', { min: 1, max: MAX_AUDIO_FILE_MB }));
}

/** The size limit in bytes: the flag, else the setting. */
export function maxFileBytes(flags: MaxFileFlag, settings: Settings): number {
  return (flags.maxFileMb ?? settings.data.maxAudioFileMb) * 1024 * 1024;
}

/** `file`'s warnings as its one line (without the newline). */
export function warningLine(file: string, warnings: readonly string[]): string {
  return `voicepulse: warning: ${file}: ${warnings.join('; ')}`;
}

/** The bytes of `file`, refused as a CliError of its own exit code; its header's oddities warned about. */
export async function readInputAudio(file: string, maxBytes: number): Promise<Uint8Array> {
  const warnings: string[] = [];
  let bytes: Uint8Array;
  try {
    bytes = await readAudioFile(file, { maxBytes, onWarning: (m) => warnings.push(m) });
  } catch (err) {
    if (err instanceof AudioFileError) throw inputError(err);
    throw err;
  }
  if (warnings.length > 0) process.stderr.write(`${warningLine(file, warnings)}\n`);
  return bytes;
}
