import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { writeWav } from '../core/audio/wav.ts';
import { labelledSplits } from '../core/corpora/build-splits.ts';
import { scanLabelled } from '../core/corpora/labelled.ts';
import { EMOTIONS } from '../core/emotions.ts';
import { loadModel, saveModel } from '../core/model/format.ts';
import { seededModel } from '../core/model/testing/tdnn.ts';
import { voiced } from '../core/streaming/testing/synthetic.ts';

const ROOT = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'vp-fit-offsets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fit-class-offsets.ts on your own recordings', () => {
  it('fits on their validation speakers alone and writes the model with the offsets', {
    timeout: 120_000,
  }, async () => {
    const own = join(dir, 'own');
    mkdirSync(own);
    const rows = ['speaker,file,emotion'];
    for (let s = 0; s < 12; s++)
      for (let k = 0; k < 2; k++) {
        const file = `s${s}-${k}.wav`;
        const audio = voiced(2500, { f0: 100 + 15 * s + 40 * k, seed: s + 1 });
        writeFileSync(join(own, file), writeWav({ sampleRate: 8000, channels: [audio] }, 'pcm16'));
        rows.push(`S${s},${file},${EMOTIONS[(s + k) % EMOTIONS.length]!}`);
      }
    writeFileSync(join(own, 'labels.csv'), `${rows.join('\n')}\n`);
    const from = join(dir, 'model');
    saveModel(seededModel('offsets'), from);
    const out = join(dir, 'fitted');
    const { stderr } = await promisify(execFile)(
      process.execPath,
      [
        'bin/run-ts.js',
        'training/fit-class-offsets.ts',
        from,
        out,
        '--corpus',
        own,
        '--version',
        'acme-offsets',
      ],
      { cwd: ROOT },
    );
    expect(stderr).toMatch(/offsets \{"angry":/);
    const fitted = loadModel(out);
    expect(fitted.version).toBe('acme-offsets');
    expect(fitted.classOffsets).toHaveLength(EMOTIONS.length);
    expect(fitted.classOffsets![EMOTIONS.indexOf('neutral')]).toBe(0);
    for (const b of fitted.classOffsets!) expect(Math.abs(b)).toBeLessThanOrEqual(2);
    // The network is the one it came from; only the offsets and their record are new.
    expect(fitted.members).toEqual(loadModel(from).members);
    const split = labelledSplits(scanLabelled(own).clips).protocols.speaker!;
    if (split.kind === 'cross-speaker') throw new Error('expected a speaker split');
    const record = fitted.metadata.classOffsets as {
      clips: Record<string, number>;
      validationMeanUa: { before: number; after: number };
    };
    expect(record.clips).toEqual({ custom: 2 * split.validation.length }); // two clips a speaker
    expect(record.validationMeanUa.after).toBeGreaterThanOrEqual(record.validationMeanUa.before);
  });

  it('refuses a model it cannot read with one line, and --labels without --corpus with its usage', async () => {
    const run = (...args: string[]) =>
      promisify(execFile)(process.execPath, ['bin/run-ts.js', 'training/fit-class-offsets.ts', ...args], {
        cwd: ROOT,
      }).then(
        () => ({ code: 0, stderr: '' }),
        (err: { code: number; stderr: string }) => err,
      );
    const missing = await run(join(dir, 'absent'), join(dir, 'out'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^fit-class-offsets: UNREADABLE: cannot read model directory .*\n$/);
    const usage = await run(join(dir, 'absent'), join(dir, 'out'), '--labels', 'x.csv');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^usage: fit-class-offsets.ts /);
  });
});
