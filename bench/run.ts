// `npm run bench [-- <suite>...]`: runs the registered suites (all by default) and prints a table each.
// To add a suite, write bench/suites/<name>.ts exporting a BenchSuite and list it in SUITES.
import { ConfigError, parseEnv, type Settings } from '../core/config/env.ts';
import type { BenchSuite } from './harness.ts';
import { formatTable } from './harness.ts';
import { analyzeSuite } from './suites/analyze.ts';
import { clusterSuite } from './suites/cluster.ts';
import { featuresSuite } from './suites/features.ts';
import { ingressSuite } from './suites/ingress.ts';
import { modelSuite } from './suites/model.ts';
import { pipelineSuite } from './suites/pipeline.ts';
import { streamSuite } from './suites/stream.ts';

const SUITES: BenchSuite[] = [
  featuresSuite,
  modelSuite,
  streamSuite,
  pipelineSuite,
  analyzeSuite,
  clusterSuite,
  ingressSuite,
];

const wanted = process.argv.slice(2);
if (wanted.includes('--help') || wanted.includes('--list')) {
  console.log('usage: npm run bench [-- <suite>...]\nsuites:');
  for (const s of SUITES) console.log(`  ${s.name.padEnd(12)} ${s.description}`);
  process.exit(0);
}
const unknown = wanted.filter((name) => !SUITES.some((s) => s.name === name));
if (unknown.length > 0) {
  console.error(`bench: unknown suite ${unknown.join(', ')} (have: ${SUITES.map((s) => s.name).join(', ')})`);
  process.exit(2);
}

let settings: Settings;
try {
  settings = parseEnv(process.env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(`bench: ${err.message}`);
  process.exit(2);
}
for (const warning of settings.warnings) console.error(`bench: warning: ${warning}`);

for (const suite of SUITES.filter((s) => wanted.length === 0 || wanted.includes(s.name))) {
  console.log(`\n== ${suite.name}: ${suite.description}\n`);
  const result = await suite.run(settings);
  console.log(formatTable(result.columns, result.rows));
  for (const note of result.notes ?? []) console.log(note);
  for (const v of result.verdicts)
    console.log(`${v.ok ? 'TARGET MET    ' : 'TARGET NOT MET'}  ${v.label}: ${v.detail}`);
}
