// `npm run dashboards`: writes every dashboard's JSON to dashboards/generated/ (committed; Grafana
// provisions it from there, see deploy/grafana/provisioning/dashboards/voicepulse.yaml).
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DASHBOARDS, GENERATED_DIR, renderDashboard } from './index.ts';

mkdirSync(GENERATED_DIR, { recursive: true });
// A dashboard removed from the code must not linger in Grafana.
for (const file of readdirSync(GENERATED_DIR)) {
  if (file.endsWith('.json') && !(file in DASHBOARDS)) rmSync(join(GENERATED_DIR, file));
}
for (const [file, build] of Object.entries(DASHBOARDS)) {
  writeFileSync(join(GENERATED_DIR, file), renderDashboard(build()));
  process.stdout.write(`dashboards/generated/${file}\n`);
}
