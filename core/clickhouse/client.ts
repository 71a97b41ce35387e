// The few ClickHouse operations the sink and the query API need, behind one interface with two
// drivers: a server over HTTP (@clickhouse/client) and chdb (ClickHouse inside this process, the
// embedded default). Queries use `{name:Type}` placeholders; values never go into SQL text except
// through params.ts on servers too old to bind them (18.16).
import { mkdirSync } from 'node:fs';
import { Readable } from 'node:stream';
import { type ClickHouseClient, ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { ClickHouseError } from './errors.ts';
import { type Params, renderParams } from './params.ts';

export type Row = Record<string, unknown>;

export interface ClickHouse {
  readonly kind: 'http' | 'chdb';
  /** Server version string, e.g. '18.16.1' or '26.7.2.1'. */
  version(): Promise<string>;
  /** A statement without result rows (DDL, ALTER). */
  exec(sql: string, params?: Params): Promise<void>;
  /** Rows of a SELECT (JSONEachRow; 64-bit integers may arrive as strings). */
  query<T = Row>(sql: string, params?: Params): Promise<T[]>;
  /** One insert of all rows (one part on the server). */
  insert(table: string, rows: readonly Row[]): Promise<void>;
  /** One insert of pre-encoded TabSeparated lines into the named columns (the sink's fast path). */
  insertTsv(table: string, columns: readonly string[], tsv: string): Promise<void>;
  close(): Promise<void>;
}

export interface HttpClickHouseOptions {
  url: string;
  database: string;
  username?: string;
  password?: string;
  /** Per-request timeout (default 30,000). */
  requestTimeoutMs?: number;
}

/** `major * 1000 + minor`, e.g. 18016 for 18.16.1. */
export function versionNumber(version: string): number {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major * 1000 + minor;
}

/** Server-side `{name:Type}` binding over HTTP arrived in ClickHouse 19.11. */
const BINDS_PARAMS_FROM = 19_011;

class HttpClickHouse implements ClickHouse {
  readonly kind = 'http';
  private binds: boolean | undefined;
  private cachedVersion: string | undefined;

  constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
  ) {}

  async version(): Promise<string> {
    if (this.cachedVersion === undefined) {
      const rs = await this.client.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' });
      const [row] = await rs.json<{ v: string }>();
      this.cachedVersion = row?.v ?? '0.0';
      this.binds = versionNumber(this.cachedVersion) >= BINDS_PARAMS_FROM;
    }
    return this.cachedVersion;
  }

  /** SQL and the parameters to send: bound by the server when it can, rendered here when not. */
  private async prepare(sql: string, params?: Params): Promise<{ query: string; query_params?: Params }> {
    if (!params || Object.keys(params).length === 0) return { query: sql };
    await this.version();
    return this.binds ? { query: sql, query_params: params } : { query: renderParams(sql, params) };
  }

  async exec(sql: string, params?: Params): Promise<void> {
    await wrap(async () => this.client.command(await this.prepare(sql, params)));
  }

  async query<T = Row>(sql: string, params?: Params): Promise<T[]> {
    return wrap(async () => {
      const rs = await this.client.query({ ...(await this.prepare(sql, params)), format: 'JSONEachRow' });
      return rs.json<T>();
    });
  }

  async insert(table: string, rows: readonly Row[]): Promise<void> {
    if (rows.length === 0) return;
    await wrap(() => this.client.insert({ table, values: [...rows], format: 'JSONEachRow' }));
  }

  async insertTsv(table: string, columns: readonly string[], tsv: string): Promise<void> {
    if (tsv.length === 0) return;
    await wrap(() =>
      this.client.insert({
        table,
        values: Readable.from([Buffer.from(tsv)], { objectMode: false }),
        format: 'TabSeparated',
        columns: nonEmpty(columns),
      }),
    );
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  async ensureDatabase(): Promise<void> {
    await wrap(() =>
      this.client.command({ query: `CREATE DATABASE IF NOT EXISTS ${identifier(this.database)}` }),
    );
  }
}

/** Connection-level failures become ClickHouseError UNAVAILABLE so callers can back off and retry. */
async function wrap<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const code = (err as { code?: string }).code;
    const message = (err as Error).message ?? String(err);
    if (
      (code && /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|UND_ERR)/.test(code)) ||
      /socket hang up|Timeout error|ECONNREFUSED|ECONNRESET/i.test(message)
    ) {
      throw new ClickHouseError('UNAVAILABLE', `ClickHouse unreachable: ${message}`, { cause: err });
    }
    throw err;
  }
}

function nonEmpty(columns: readonly string[]): [string, ...string[]] {
  const [first, ...rest] = columns;
  if (first === undefined) throw new RangeError('an insert needs at least one column');
  return [first, ...rest];
}

/** Database names are configuration, not user input; still, only plain identifiers are accepted. */
export function identifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name))
    throw new ClickHouseError('BAD_IDENTIFIER', `'${name}' is not a plain identifier`);
  return name;
}

export async function connectHttp(options: HttpClickHouseOptions): Promise<ClickHouse> {
  const common = {
    url: options.url,
    username: options.username ?? 'default',
    password: options.password ?? '',
    request_timeout: options.requestTimeoutMs ?? 30_000,
    // Failures reach the caller as errors (the sink reports and retries them); no console noise.
    log: { level: ClickHouseLogLevel.OFF },
  };
  // The database may not exist yet: create it through a client without a default database.
  const bootstrap = new HttpClickHouse(createClient(common), identifier(options.database));
  try {
    await bootstrap.ensureDatabase();
  } finally {
    await bootstrap.close();
  }
  const ch = new HttpClickHouse(createClient({ ...common, database: options.database }), options.database);
  await ch.version();
  return ch;
}

interface ChdbSession {
  queryAsync(sql: string, opts?: { format?: string }): Promise<{ text(): string }>;
  queryBindAsync(sql: string, params: object, opts?: { format?: string }): Promise<{ text(): string }>;
  insert(params: {
    table: string;
    values: string;
    format: 'JSONEachRow' | 'TabSeparated';
    columns?: readonly string[];
  }): Promise<unknown>;
  close(): void;
}

class ChdbClickHouse implements ClickHouse {
  readonly kind = 'chdb';
  constructor(private readonly session: ChdbSession) {}

  async version(): Promise<string> {
    const [row] = await this.query<{ v: string }>('SELECT version() AS v');
    return row?.v ?? '0.0';
  }

  private run(sql: string, params: Params | undefined, format: string) {
    // chdb binds `{name:Type}` itself; bigint is not JSON, so pass it as its decimal string.
    return params && Object.keys(params).length > 0
      ? this.session.queryBindAsync(
          sql,
          Object.fromEntries(
            Object.entries(params).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v]),
          ),
          { format },
        )
      : this.session.queryAsync(sql, { format });
  }

  async exec(sql: string, params?: Params): Promise<void> {
    await this.run(sql, params, 'TabSeparated');
  }

  async query<T = Row>(sql: string, params?: Params): Promise<T[]> {
    const text = (await this.run(sql, params, 'JSONEachRow')).text();
    return text
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as T);
  }

  async insert(table: string, rows: readonly Row[]): Promise<void> {
    if (rows.length === 0) return;
    await this.session.insert({
      table,
      values: rows.map((r) => JSON.stringify(r)).join('\n'),
      format: 'JSONEachRow',
    });
  }

  async insertTsv(table: string, columns: readonly string[], tsv: string): Promise<void> {
    if (tsv.length === 0) return;
    await this.session.insert({ table, values: tsv, format: 'TabSeparated', columns: nonEmpty(columns) });
  }

  async close(): Promise<void> {
    this.session.close();
  }
}

/** ClickHouse inside this process, its data under `path` (kept across restarts). */
export async function openChdb(path: string): Promise<ClickHouse> {
  mkdirSync(path, { recursive: true });
  // Loaded lazily: the native library is large and only the embedded mode needs it.
  const { Session } = (await import('chdb')) as unknown as { Session: new (path: string) => ChdbSession };
  return new ChdbClickHouse(new Session(path));
}

export type ClickHouseConfig = { kind: 'chdb'; path: string } | ({ kind: 'http' } & HttpClickHouseOptions);

export function connectClickHouse(config: ClickHouseConfig): Promise<ClickHouse> {
  return config.kind === 'chdb' ? openChdb(config.path) : connectHttp(config);
}
