// Fresh ClickHouse targets for suites that run the same tests on the real server and on embedded
// chdb: each opener gives its own database (server) or directory (chdb) and a cleanup.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClickHouse, connectHttp, openChdb } from '../../core/clickhouse/client.ts';
import { requireService } from './services.ts';

export interface OpenedClickHouse {
  ch: ClickHouse;
  cleanup: () => Promise<void>;
}
export type ClickHouseOpener = () => Promise<OpenedClickHouse>;

/**
 * Opens a new database named `<prefix>_<random>` on the real ClickHouse server; undefined when the
 * server is absent locally (requireService fails the run in CI and warns otherwise).
 */
export async function serverClickHouse(prefix: string): Promise<ClickHouseOpener | undefined> {
  const server = await requireService('clickhouse');
  if (!server) return undefined;
  return async () => {
    const database = `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    const ch = await connectHttp({ url: server.url, database });
    return {
      ch,
      cleanup: async () => {
        await ch.exec(`DROP DATABASE IF EXISTS ${database}`);
        await ch.close();
      },
    };
  };
}

/** Opens embedded chdb in a new temporary directory. */
export function embeddedClickHouse(prefix: string): ClickHouseOpener {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
    const ch = await openChdb(dir);
    return {
      ch,
      cleanup: async () => {
        await ch.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  };
}
