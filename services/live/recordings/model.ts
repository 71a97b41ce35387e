// The scorer of the model in a directory, as the live scoring threads score (scoring/scorer.ts over
// the model runner), with the model's window and hop, which the streaming configuration must use.
// Loaded lazily, so that code given a scorer (tests) never loads a model or its runtime.
import type { RuntimeChoice } from '../../../core/model/runtime.ts';
import type { ModelScorer } from '../scoring/scorer.ts';

export interface OpenedModel {
  scorer: ModelScorer;
  window: { windowMs: number; hopMs: number };
}

export async function openModelScorer(
  modelDir: string,
  runtime: RuntimeChoice = 'auto',
  explain = false,
): Promise<OpenedModel> {
  const [{ openModel }, { runnerScorer, warmScorer }] = await Promise.all([
    import('../../../core/model/runner.ts'),
    import('../scoring/scorer.ts'),
  ]);
  const runner = await openModel(modelDir, { runtime });
  const { lengthMs, hopMs } = runner.model.window;
  return {
    scorer: await warmScorer(runnerScorer(runner, explain), runner),
    window: { windowMs: lengthMs, hopMs },
  };
}
