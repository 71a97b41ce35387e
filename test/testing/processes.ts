// Processes a test starts (serve, the sink, CLI commands), their output kept for the failure message.
import { type ChildProcess, spawn } from 'node:child_process';

export interface Started {
  child: ChildProcess;
  /** stdout and stderr so far, interleaved as they arrived. */
  output: () => string;
  /** The exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

export function startProcess(
  argv: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Started {
  const child = spawn(argv[0]!, argv.slice(1), { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, output: () => output, exited };
}

/**
 * Polls `check` every 250 ms until it returns a value other than undefined or false, and returns
 * that value; fails with the process's output when it exits first or `ms` pass.
 */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  started: Started,
  ms = 60_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (started.child.exitCode !== null)
      throw new Error(`${what}: exited ${started.child.exitCode}\n${started.output()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what}: not within ${ms} ms\n${started.output().slice(-3000)}`);
}
