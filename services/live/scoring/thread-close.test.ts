import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { closeThread } from './thread-close.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** close-busy.ts in its own process: an abort would take the test runner with it. */
async function closeBusy(kind: 'scoring' | 'analysis', rounds: number) {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['bin/run-ts.js', 'services/live/scoring/testing/close-busy.ts', kind, String(rounds)],
    { cwd: ROOT, timeout: 120_000 },
  ).catch((err: { code?: number; signal?: string; stderr?: string }) => {
    throw new Error(`close-busy ${kind} exited ${err.code ?? err.signal}: ${err.stderr?.trim()}`);
  });
  return stdout.trim().split('\n');
}

describe('closing model threads', () => {
  // Terminating them here aborted the process: 4 of 4 scoring runs of 4 rounds, 1 of 3 analysis runs.
  it('closes busy scoring threads without aborting the process', async () => {
    expect(await closeBusy('scoring', 4)).toEqual(['closed 1', 'closed 2', 'closed 3', 'closed 4']);
  }, 150_000);

  it('closes busy analysis threads; their recordings in flight fail instead of hanging', async () => {
    const lines = await closeBusy('analysis', 3);
    expect(lines.filter((l) => l.startsWith('closed'))).toEqual(['closed 1', 'closed 2', 'closed 3']);
    for (const l of lines.filter((l) => l.startsWith('recordings')))
      expect(l).toMatch(/^recordings: (finished|analysis pool closed)(, (finished|analysis pool closed))?$/);
    expect(lines.join('\n')).toContain('analysis pool closed');
  }, 150_000);

  it('terminates a thread that does not answer within the grace period', async () => {
    const deaf = new Worker('setInterval(() => {}, 1000)', { eval: true });
    await new Promise((r) => deaf.once('online', r));
    const t0 = Date.now();
    await closeThread(deaf, 300);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(deaf.threadId).toBe(-1);
  });

  it('resolves at once for a thread that has already exited', async () => {
    const done = new Worker('', { eval: true });
    await new Promise((r) => done.once('exit', r));
    const t0 = Date.now();
    await closeThread(done, 5_000);
    expect(Date.now() - t0).toBeLessThan(1_000);
  });
});
