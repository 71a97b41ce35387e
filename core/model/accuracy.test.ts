// Regression guard: the committed model on fixed held-out speakers, scored through the product path
// (`voicepulse eval`'s code: training/evaluate.ts evaluateProductPath), must stay within a few points
// of the UA recorded in its model card (docs/model-card.md); a worse model fails CI.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findCorpus } from '../../test/testing/corpus.ts';
import { labeledClips } from '../../training/dataset.ts';
import { evaluateProductPath } from '../../training/evaluate.ts';
import { readWavFile } from '../audio/wav.ts';
import { loadModel } from './format.ts';

/** Test-speaker utterance UA of the committed model (product path) minus a margin for numeric drift. */
const MIN_UA: Record<string, number> = { ravdess: 0.61, tess: 0.97, emovo: 0.33, urdu: 0.27 };

const data = findCorpus();
describe.skipIf(data === undefined)('committed model accuracy on held-out speakers', () => {
  it('keeps every corpus’s test UA through the product path above the model-card threshold', {
    timeout: 300_000,
  }, async () => {
    const model = loadModel();
    const clips = labeledClips(data!).filter((c) => c.split === 'test' && c.clip.corpus in MIN_UA);
    const audio = async (clip: (typeof clips)[number]['clip']) =>
      (await readWavFile(join(data!, clip.corpus, clip.path))).channels[0]!;
    const evals = await evaluateProductPath(model, clips, audio);
    expect(evals.map((e) => e.corpus).sort()).toEqual(Object.keys(MIN_UA).sort());
    for (const e of evals) expect(e.utterance.ua, e.corpus).toBeGreaterThan(MIN_UA[e.corpus]!);
  });
});
