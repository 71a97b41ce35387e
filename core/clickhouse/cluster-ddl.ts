// Prints the cluster DDL: `node bin/run-ts.js core/clickhouse/cluster-ddl.ts [cluster] [database]
// [--unreplicated]` (defaults voicepulse voicepulse, replicated: the committed
// deploy/clickhouse/cluster/voicepulse.sql).
import { clusterDdl } from './cluster.ts';

const args = process.argv.slice(2);
const [cluster = 'voicepulse', database = 'voicepulse'] = args.filter((a) => !a.startsWith('--'));
const replicated = !args.includes('--unreplicated');
process.stdout.write(`${clusterDdl({ cluster, database, replicated }).join(';\n\n')};\n`);
