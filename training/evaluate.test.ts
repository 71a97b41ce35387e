import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluateFolder } from '../cli/commands/model.ts';
import { decodeAll } from '../core/audio/decode.ts';
import { writeWav } from '../core/audio/wav.ts';
import type { CorpusClip } from '../core/corpora/clip.ts';
import { EMOTIONS } from '../core/emotions.ts';
import { openRunner } from '../core/model/runner.ts';
import { seededModel } from '../core/model/testing/tdnn.ts';
import { seededRandom } from '../core/random.ts';
import { evaluateProductPath } from './evaluate.ts';

describe('evaluateProductPath', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vp-product-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives `voicepulse eval`’s numbers on the same clips (the model card’s product-path tables)', async () => {
    const random = seededRandom('product-path');
    // Noise bursts with pauses: voice-activity gating skips some windows, as on real calls.
    const clips = Array.from({ length: 12 }, (_, i) => {
      const n = 8000 * (2 + (i % 4));
      const x = new Float32Array(n);
      const gain = 0.05 + 0.3 * random();
      for (let t = 0; t < n; t++)
        x[t] =
          Math.sin((2 * Math.PI * t) / 8000 / (0.4 + 0.2 * (i % 3))) > -0.3 ? gain * (2 * random() - 1) : 0;
      const file = `c${i}.wav`;
      writeFileSync(join(dir, file), writeWav({ sampleRate: 8000, channels: [x] }, 'mulaw'));
      return { file, label: i % EMOTIONS.length };
    });
    writeFileSync(
      join(dir, 'labels.csv'),
      `file,emotion\n${clips.map((c) => `${c.file},${EMOTIONS[c.label]}`).join('\n')}\n`,
    );
    const model = seededModel('product-path');
    const runner = await openRunner(model, { runtime: 'tfjs-wasm' });
    const cli = await evaluateFolder(dir, join(dir, 'labels.csv'), runner);
    await runner.release();
    const corpusClips = clips.map((c) => ({
      clip: { corpus: 'custom', path: c.file, speaker: 's', label: '', emotion: null } as CorpusClip,
      label: c.label,
    }));
    const audio = async (clip: CorpusClip) =>
      (await decodeAll(readFileSync(join(dir, clip.path)))).channels[0]!;
    const [product] = await evaluateProductPath(model, corpusClips, audio);
    expect(product!.utterance.n).toBe(cli.n);
    expect(product!.utterance.confusion).toEqual(
      EMOTIONS.map((t) => EMOTIONS.map((p) => cli.confusion[t][p])),
    );
    expect(Math.round(product!.utterance.ua * 1e4) / 1e4).toBe(cli.ua);
  });
});
