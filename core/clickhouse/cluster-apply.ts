// Applies the cluster DDL to running shards (deploy/local/cluster.sh, a cluster set up by hand):
//   node bin/run-ts.js core/clickhouse/cluster-apply.ts --shards URL[,URL…] [--cluster voicepulse]
//     [--database voicepulse] [--unreplicated]
// Shards in remote_servers order; replicated DDL runs ON CLUSTER from the first. Idempotent.
import { parseArgs } from 'node:util';
import { connectHttp } from './client.ts';
import { applyClusterDdl } from './cluster.ts';

const { values } = parseArgs({
  options: {
    shards: { type: 'string' },
    cluster: { type: 'string', default: 'voicepulse' },
    database: { type: 'string', default: 'voicepulse' },
    unreplicated: { type: 'boolean', default: false },
  },
});
const urls = (values.shards ?? '').split(',').filter((u) => u.length > 0);
if (urls.length === 0) {
  process.stderr.write('cluster-apply: give --shards URL[,URL…]\n');
  process.exit(2);
}
// The shards' default database: the cluster DDL names its own database in every statement.
const shards = await Promise.all(urls.map((url) => connectHttp({ url, database: 'default' })));
try {
  await applyClusterDdl(shards, {
    cluster: values.cluster,
    database: values.database,
    replicated: !values.unreplicated,
  });
  process.stdout.write(`cluster DDL applied to ${urls.join(', ')} (database ${values.database})\n`);
} finally {
  await Promise.all(shards.map((s) => s.close()));
}
