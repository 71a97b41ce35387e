// A standalone sink process (`node bin/run-ts.js services/sink/main.ts`), configured like
// `voicepulse serve` through VOICEPULSE_KAFKA / VOICEPULSE_CLICKHOUSE. Prints `ready` once consuming;
// SIGTERM stops it cleanly (offsets of stored batches are already committed).
import { pipelineConfig, startPipeline } from './pipeline.ts';

const pipeline = await startPipeline(pipelineConfig(), {
  onError: (error) => console.error(`[sink] ${error.name}: ${error.message}`),
});
console.log('ready');
process.once('SIGTERM', () => {
  void pipeline.stop().then(() => process.exit(0));
});
