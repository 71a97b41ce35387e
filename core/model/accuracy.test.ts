// Regression guard: the committed model on fixed held-out speakers must stay within a few points
// of the UA recorded in its model card (docs/model-card.md); a worse model fails CI.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findCorpus } from '../../test/testing/corpus.ts';
import { labeledClips } from '../../training/dataset.ts';
import { evaluateModel } from '../../training/evaluate.ts';
import { readWavFile } from '../audio/wav.ts';
import { loadModel } from './format.ts';
import { modelFeatures } from './windows.ts';

/** Test-speaker utterance UA of the committed model minus a margin for numeric drift. */
const MIN_UA: Record<string, number> = { ravdess: 0.61, tess: 0.97 };

const data = findCorpus();
describe.skipIf(data === undefined)('committed model accuracy on held-out speakers', () => {
  it('keeps RAVDESS and TESS test UA above the model-card threshold', { timeout: 180_000 }, async () => {
    const model = loadModel();
    const clips = labeledClips(data!).filter((c) => c.split === 'test' && c.clip.corpus in MIN_UA);
    const items = await Promise.all(
      clips.map(async (c) => {
        const audio = await readWavFile(join(data!, c.clip.corpus, c.clip.path));
        return {
          lld: modelFeatures(model, audio.channels[0]!),
          label: c.label,
          corpus: c.clip.corpus,
        };
      }),
    );
    for (const e of await evaluateModel(model, items))
      expect(e.utterance.ua, e.corpus).toBeGreaterThan(MIN_UA[e.corpus]!);
  });
});
