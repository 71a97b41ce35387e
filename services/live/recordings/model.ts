// The scorer of the model in a directory: what the live scoring threads score with, loaded lazily
// so that code given a scorer (tests) never loads a model or its runtime.
import type { Scorer } from '../scoring/scorer.ts';

export async function openModelScorer(modelDir: string): Promise<Scorer & { readonly description: string }> {
  const [{ modelScorer }, { loadModel }] = await Promise.all([
    import('../scoring/scorer.ts'),
    import('../../../core/model/model.ts'),
  ]);
  return modelScorer(loadModel(modelDir));
}
