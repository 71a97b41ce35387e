// The one check before any command reads an audio file whole into memory: only a regular file of at
// most `maxBytes` is read. A device or FIFO (/dev/zero) never ends and a huge file grows the process
// without bound, so both are refused before a byte is read. The check runs on the opened descriptor
// (fstat), so the path cannot be swapped between check and read; O_NONBLOCK keeps a FIFO's open from
// waiting for a writer. What the read file's header says that decoding will read past (a WAV that
// lies about a size) is told to `onWarning`, so every reader warns alike.
import { constants, type Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { VoicePulseError } from '../errors.ts';
import { headerWarnings } from './decode.ts';

export type AudioFileErrorCode = 'NOT_FOUND' | 'NOT_REGULAR' | 'TOO_LARGE' | 'UNREADABLE';

export class AudioFileError extends VoicePulseError<AudioFileErrorCode> {}

/** 512 MiB: over four hours of 8 kHz stereo 16-bit PCM, and decoded floats still fit in memory. */
export const MAX_AUDIO_FILE_BYTES = 512 * 1024 * 1024;

export interface AudioFileOptions {
  /** Largest file read, in bytes (default MAX_AUDIO_FILE_BYTES). */
  maxBytes?: number;
  /** Told each oddity of the read file's header that decoding reads past (decode.ts headerWarnings). */
  onWarning?: (message: string) => void;
}

function refuse(path: string, s: Stats, maxBytes: number): void {
  if (!s.isFile()) {
    const kind = s.isDirectory()
      ? 'a directory'
      : s.isFIFO()
        ? 'a FIFO'
        : s.isSocket()
          ? 'a socket'
          : 'a device';
    throw new AudioFileError('NOT_REGULAR', `${path}: ${kind}, not a regular file`);
  }
  if (s.size > maxBytes)
    throw new AudioFileError('TOO_LARGE', `${path}: ${s.size} bytes, over the limit of ${maxBytes}`);
}

function fsError(path: string, err: unknown): AudioFileError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new AudioFileError('NOT_FOUND', `${path}: no such file`, { cause: err });
  if (code === 'EISDIR') return new AudioFileError('NOT_REGULAR', `${path}: a directory, not a regular file`);
  return new AudioFileError('UNREADABLE', `${path}: cannot read (${code ?? String(err)})`, { cause: err });
}

/** Throws AudioFileError unless `path` is a regular file within the size limit (for callers that read it later). */
export async function checkAudioFile(
  path: string,
  options: Pick<AudioFileOptions, 'maxBytes'> = {},
): Promise<void> {
  let s: Stats;
  try {
    s = await stat(path);
  } catch (err) {
    throw fsError(path, err);
  }
  refuse(path, s, options.maxBytes ?? MAX_AUDIO_FILE_BYTES);
}

/** The bytes of `path`, refused with AudioFileError unless it is a regular file within the size limit. */
export async function readAudioFile(path: string, options: AudioFileOptions = {}): Promise<Uint8Array> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw fsError(path, err);
  }
  try {
    refuse(path, await handle.stat(), options.maxBytes ?? MAX_AUDIO_FILE_BYTES);
    const bytes = await handle.readFile();
    if (options.onWarning) for (const warning of headerWarnings(bytes)) options.onWarning(warning);
    return bytes;
  } catch (err) {
    throw err instanceof AudioFileError ? err : fsError(path, err);
  } finally {
    await handle.close();
  }
}
