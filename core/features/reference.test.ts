// Every librosa reference case in fixtures/ (tools/reference/make_feature_fixtures.py) against the
// TypeScript port, with the tolerances documented in README.md.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeWithCorpus } from '../../test/testing/corpus.ts';
import { readWavFile } from '../audio/wav.ts';
import type { FeatureMatrix } from './matrix.ts';
import type { ReferenceCase } from './testing/fixture.ts';
import { computeCase, ReferenceFixtures } from './testing/fixture.ts';

/** Max |ours - librosa| as a fraction of max |librosa|, for references computed in float64. */
const SYNTHETIC_TOLERANCE = 3e-7;
/** The same for real clips, where librosa itself runs in float32 (librosa.load's dtype). */
const CLIP_TOLERANCE = 1e-6;

const fx = new ReferenceFixtures();

function expectClose(got: FeatureMatrix, c: ReferenceCase, tolerance: number): void {
  const ref = fx.matrix(c.output);
  expect([got.rows, got.cols]).toEqual([ref.rows, ref.cols]);
  let maxRef = 0;
  let maxErr = 0;
  for (let i = 0; i < ref.data.length; i++) {
    maxRef = Math.max(maxRef, Math.abs(ref.data[i]!));
    maxErr = Math.max(maxErr, Math.abs(got.data[i]! - ref.data[i]!));
  }
  // All-zero references (silence) must come out exactly zero.
  expect(maxErr, `${c.id}: max error ${maxErr} vs max |ref| ${maxRef}`).toBeLessThanOrEqual(
    tolerance * maxRef,
  );
}

describe('librosa references, synthetic signals (float64 librosa)', () => {
  for (const c of fx.cases()) {
    if (fx.index.clips[c.input]) continue;
    it(c.id, () => {
      const signal = fx.index.signals[c.input];
      const y = signal ? fx.array(signal) : new Float32Array(0);
      expectClose(computeCase(c, y, signal?.shape), c, SYNTHETIC_TOLERANCE);
    });
  }

  it('covers every feature kind', () => {
    const kinds = new Set(fx.cases().map((c) => c.kind));
    for (const kind of ['stft_power', 'mel_filterbank', 'melspectrogram', 'power_to_db', 'logmel', 'mfcc']) {
      expect(kinds).toContain(kind);
    }
    for (const kind of ['chroma_stft', 'zero_crossing_rate', 'rms', 'spectral_centroid', 'delta']) {
      expect(kinds).toContain(kind);
    }
  });
});

describeWithCorpus('librosa references, real corpus clips (float32 librosa)', (root) => {
  for (const [name, clip] of Object.entries(fx.index.clips)) {
    describe(name, () => {
      let y: Float32Array = new Float32Array(0);
      let sampleRate = 0;
      beforeAll(async () => {
        const audio = await readWavFile(join(root, clip.path));
        sampleRate = audio.sampleRate;
        y = audio.channels[0]!;
      });
      it('decodes like librosa.load (libsndfile)', () => {
        expect(sampleRate).toBe(clip.sr);
        expect(y.length).toBe(clip.length);
        let sum = 0;
        for (const v of y) sum += v * v;
        expect(sum).toBeCloseTo(clip.sumSquares, 6);
      });
      for (const c of fx.cases().filter((k) => k.input === name)) {
        it(c.id, () => {
          expectClose(computeCase(c, y), c, CLIP_TOLERANCE);
        });
      }
    });
  }
});
