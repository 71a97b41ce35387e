// The scorer of the model in a directory, as the live scoring threads score: each speaker's
// windows through the model runner (core/model/runner.ts), in the speaker's own model stream.
// Loaded lazily, so that code given a scorer (tests) never loads a model or its runtime.
import type { RuntimeChoice } from '../../../core/model/runtime.ts';
import type { ModelScorer } from '../scoring/scorer.ts';

export async function openModelScorer(
  modelDir: string,
  runtime: RuntimeChoice = 'auto',
): Promise<ModelScorer> {
  const { openScorer } = await import('../scoring/scorer.ts');
  return openScorer(modelDir, { runtime });
}
