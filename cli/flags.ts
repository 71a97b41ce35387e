// Flag values through the settings' own parsers (core/config/env.ts), so `--port` and
// VOICEPULSE_PORT accept the same text; a bad value is a usage error naming the flag.
import { ConfigError, parseInteger } from '../core/config/env.ts';
import { detailOf } from '../core/errors.ts';
import { CliError } from './errors.ts';

/** A commander option parser from a settings parser `parse(name, text)`. */
export function flagParser<T>(parse: (name: string, text: string) => T, name: string) {
  return (text: string): T => {
    try {
      return parse(name, text);
    } catch (err) {
      if (err instanceof ConfigError) throw new CliError(detailOf(err), 'USAGE', { cause: err });
      throw err;
    }
  };
}

/** An integer flag within `range` (default: non-negative). */
export function intOption(name: string, range: { min?: number; max?: number } = {}) {
  return flagParser((n, text) => parseInteger(n, text, range), name);
}
