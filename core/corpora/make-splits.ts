// Regenerates core/corpora/splits.json from the corpus file lists:
//   node bin/run-ts.js core/corpora/make-splits.ts [--data <dir>] [--check]
// --check compares instead of writing and exits 1 when the committed manifest is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildSplitManifest, formatSplitManifest, SCANNED_SPLIT_CORPORA } from './build-splits.ts';
import { defaultDataRoot, scanCorporaReport } from './scan.ts';
import { SPLIT_MANIFEST_URL } from './split-manifest.ts';

const { values } = parseArgs({
  options: { data: { type: 'string' }, check: { type: 'boolean', default: false } },
});
const dataRoot = values.data ?? defaultDataRoot();
const scans = scanCorporaReport(dataRoot);
const missing = SCANNED_SPLIT_CORPORA.filter(
  (id) => !scans.some((s) => s.corpus === id && s.clips.length > 0),
);
if (missing.length > 0) {
  console.error(`make-splits: corpora missing under ${dataRoot}: ${missing.join(', ')}`);
  process.exit(1);
}
const text = formatSplitManifest(buildSplitManifest(scans.flatMap((s) => s.clips)));
const target = fileURLToPath(SPLIT_MANIFEST_URL);
if (values.check) {
  const current = readFileSync(target, 'utf8');
  if (current !== text) {
    console.error(`make-splits: ${target} is out of date; rerun without --check`);
    process.exit(1);
  }
  console.log(`make-splits: ${target} is up to date`);
} else {
  writeFileSync(target, text);
  console.log(`make-splits: wrote ${target}`);
}
