// A deterministic stand-in for the emotion model (no weights, instant): loud, high-pitched windows
// read angry, quiet low ones neutral. Enough for tests of what happens around the model: windows,
// clocks, roles, policy, storage and exports.
import { EMOTIONS } from '../../../../core/emotions.ts';
import type { EmotionProbs } from '../../../../core/events/schema.ts';
import type { Scorer } from '../../scoring/scorer.ts';

export function energyScorer(modelVersion = 'test-energy'): Scorer {
  return {
    modelVersion,
    async scoreWindows(windows) {
      return windows.map(({ samples: x }): EmotionProbs => {
        let energy = 0;
        let crossings = 0;
        for (let i = 0; i < x.length; i++) {
          energy += x[i]! * x[i]!;
          if (i > 0 && x[i - 1]! < 0 !== x[i]! < 0) crossings++;
        }
        const loud = Math.min(1, Math.sqrt(energy / x.length) * 8);
        const high = Math.min(1, crossings / x.length / 0.08);
        const angry = 0.7 * loud * high;
        const rest = (1 - angry) / (EMOTIONS.length - 1);
        return Object.fromEntries(EMOTIONS.map((e) => [e, e === 'angry' ? angry : rest])) as EmotionProbs;
      });
    },
  };
}
