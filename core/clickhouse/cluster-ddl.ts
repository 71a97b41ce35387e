// Prints the cluster DDL: `node bin/run-ts.js core/clickhouse/cluster-ddl.ts [cluster] [database]`
// (defaults voicepulse voicepulse; the committed deploy/clickhouse/cluster/voicepulse.sql).
import { clusterDdl } from './cluster.ts';

const [cluster = 'voicepulse', database = 'voicepulse'] = process.argv.slice(2);
process.stdout.write(`${clusterDdl({ cluster, database }).join(';\n\n')};\n`);
