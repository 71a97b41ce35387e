// The analysis pool of the recordings tests: in this thread (no workers, no model directory), scoring
// with the energy stand-in, so a test exercises what happens around the model in milliseconds.
import { DEFAULT_STREAMING } from '../../../../core/streaming/config.ts';
import { AnalysisPool } from '../pool.ts';
import { energyScorer } from './scorer.ts';

export function energyPool(): AnalysisPool {
  return new AnalysisPool({ modelDir: '', config: DEFAULT_STREAMING, threads: 0, scorer: energyScorer() });
}
