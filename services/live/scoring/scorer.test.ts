import { describe, expect, it } from 'vitest';
import type { StreamWindow } from '../../../core/model/runner.ts';
import { openRunner } from '../../../core/model/runner.ts';
import { seededModel } from '../../../core/model/untrained.ts';
import { type ModelScorer, runnerScorer, warmScorer } from './scorer.ts';

/** `inner` with every window it scores or explains recorded. */
function recording(inner: ModelScorer) {
  const seen: { how: 'score' | 'explain'; windows: readonly StreamWindow[] }[] = [];
  const scorer: ModelScorer = {
    ...inner,
    scoreWindows: (windows) => {
      seen.push({ how: 'score', windows });
      return inner.scoreWindows(windows);
    },
  };
  if (inner.explainWindows) {
    const explain = inner.explainWindows;
    scorer.explainWindows = (windows) => {
      seen.push({ how: 'explain', windows });
      return explain(windows);
    };
  }
  return { scorer, seen };
}

describe('warmScorer', () => {
  it('runs one silent window of the model’s length through the path the scorer will use, before any call', async () => {
    const runner = await openRunner(seededModel('warm'), { runtime: 'onnx' });
    for (const explain of [false, true]) {
      const { scorer, seen } = recording(runnerScorer(runner, explain));
      expect(await warmScorer(scorer, runner)).toBe(scorer);
      expect(seen.map((s) => s.how)).toEqual([explain ? 'explain' : 'score']);
      const [w] = seen[0]!.windows;
      expect(w!.samples).toHaveLength(16000);
      expect(w!.samples.every((v) => v === 0)).toBe(true);
      expect(w!.stream.closed).toBe(true);
    }
    await runner.release();
  });
});
