// Applies deploy/clickhouse/migrations/*.sql in name order, once each, recording them in
// schema_migrations. Every statement is itself idempotent (IF NOT EXISTS; an ADD COLUMN whose column
// exists is skipped, as 18.16 has no ADD COLUMN IF NOT EXISTS), so a run interrupted halfway, or two
// instances starting at once, simply re-apply to the same result.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClickHouse } from './client.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../deploy/clickhouse/migrations/', import.meta.url));

export interface Migration {
  version: string;
  statements: string[];
}

/** Splits a migration file into statements: `;` at the end of a line ends one; `--` lines are comments. */
export function parseMigration(sql: string): string[] {
  const statements: string[] = [];
  let current: string[] = [];
  for (const line of sql.split('\n')) {
    if (/^\s*--/.test(line)) continue;
    current.push(line);
    if (/;\s*$/.test(line)) {
      statements.push(current.join('\n').replace(/;\s*$/, '').trim());
      current = [];
    }
  }
  const rest = current.join('\n').trim();
  if (rest) statements.push(rest);
  return statements.filter((s) => s.length > 0);
}

export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => ({
      version: f.replace(/\.sql$/, ''),
      statements: parseMigration(readFileSync(join(dir, f), 'utf8')),
    }));
}

/** `ALTER TABLE <table> ADD COLUMN <column> <type…>`: the only ALTER migrations use. */
export const ADD_COLUMN = /^ALTER TABLE (\w+) ADD COLUMN (\w+) ([\s\S]+)$/;

async function columnExists(ch: ClickHouse, table: string, column: string): Promise<boolean> {
  const rows = await ch.query(
    'SELECT name FROM system.columns WHERE database = currentDatabase() AND table = {t:String} AND name = {c:String}',
    { t: table, c: column },
  );
  return rows.length > 0;
}

/** Applies what is missing; returns the versions applied by this call. */
export async function migrate(ch: ClickHouse, migrations: Migration[] = loadMigrations()): Promise<string[]> {
  await ch.exec(
    `CREATE TABLE IF NOT EXISTS schema_migrations (version String, applied_at DateTime)
     ENGINE = ReplacingMergeTree ORDER BY version`,
  );
  const done = new Set(
    (await ch.query<{ version: string }>('SELECT DISTINCT version FROM schema_migrations')).map(
      (r) => r.version,
    ),
  );
  const applied: string[] = [];
  for (const m of migrations) {
    if (done.has(m.version)) continue;
    for (const statement of m.statements) {
      const add = ADD_COLUMN.exec(statement);
      if (add && (await columnExists(ch, add[1] as string, add[2] as string))) continue;
      await ch.exec(statement);
    }
    await ch.insert('schema_migrations', [{ version: m.version, applied_at: Math.floor(Date.now() / 1000) }]);
    applied.push(m.version);
  }
  return applied;
}
