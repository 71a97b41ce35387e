// The analytics store a command reads or writes, from its --clickhouse flag, else the environment:
// a ClickHouse server, or the embedded chdb store `serve` uses (VOICEPULSE_CHDB_PATH). chdb holds
// its directory for one process: a second one gets a clear line instead of chdb's lock error.
import { type ClickHouse, connectClickHouse } from '../../core/clickhouse/client.ts';
import { migrate } from '../../core/clickhouse/migrations.ts';
import { ConfigError, parseClickHouseUrl, type Settings } from '../../core/config/env.ts';
import { detailOf } from '../../core/errors.ts';
import { CliError } from '../errors.ts';

export interface OpenedStore {
  ch: ClickHouse;
  /** The store in words, for messages. */
  where: string;
  /** Its server URL, when it is not embedded. */
  url: string | undefined;
}

export async function openAnalyticsStore(flag: string | undefined, settings: Settings): Promise<OpenedStore> {
  let url = settings.clickhouse.url;
  if (flag)
    try {
      url = parseClickHouseUrl('--clickhouse', flag);
    } catch (err) {
      if (err instanceof ConfigError) throw new CliError(detailOf(err), 'USAGE');
      throw err;
    }
  const c = settings.clickhouse;
  let ch: ClickHouse;
  try {
    ch = await connectClickHouse(
      url
        ? {
            kind: 'http',
            url,
            database: c.database,
            ...(c.username ? { username: c.username } : {}),
            ...(c.password ? { password: c.password } : {}),
          }
        : { kind: 'chdb', path: c.chdbPath },
    );
  } catch (err) {
    const text = `${(err as Error).message} ${(err as { cause?: Error }).cause?.message ?? ''}`;
    if (!url && /Cannot lock file|Another server instance|connection for path/i.test(text))
      throw new CliError(
        `the embedded store ${c.chdbPath} is open in another process (a running \`voicepulse serve\`?): stop it, go through its API, or use --clickhouse`,
      );
    throw new CliError(`cannot open the analytics store: ${(err as Error).message}`);
  }
  if (c.migrate) await migrate(ch);
  return { ch, url, where: url ? `ClickHouse ${url}` : `embedded ClickHouse ${c.chdbPath}` };
}
