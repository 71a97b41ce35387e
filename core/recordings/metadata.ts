// Who and when a recording is: call id, tenant, agent, queue and the time the call started. From a
// metadata file (CSV with a header row, or JSON lines; columns file, callId, tenant, agent, queue,
// startedAt), else from a file-name pattern, else defaults that are said out loud: the call id from
// the content hash (so the same audio is the same call), tenant `default`, and the file's
// modification time as the start. Every value is validated (zod, core/calls/meta.ts ids).
import { readFileSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { z } from 'zod';
import { idSchema } from '../calls/meta.ts';
import { RecordingError } from './errors.ts';

export const DEFAULT_TENANT = 'default';

export interface RecordingMeta {
  callId: string;
  tenantId: string;
  agentId: string | null;
  queue: string | null;
  /** When the call started (ms since the epoch): event times are this plus the audio position. */
  startedAtMs: number;
  /** Fields that were not given and took a default (reported to the user). */
  assumed: ('callId' | 'tenant' | 'startedAt')[];
}

/** Metadata fields as given for one recording; absent = not given. */
export type GivenMeta = Partial<
  Pick<RecordingMeta, 'callId' | 'tenantId' | 'agentId' | 'queue' | 'startedAtMs'>
>;

const empty = (v: unknown) => (v === '' || v === null ? undefined : v);
/** ISO 8601 with a zone (2024-05-01T10:15:00Z, …+02:00); a date alone is midnight UTC. */
const instant = z.union([
  z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)),
  z.iso.date().transform((s) => Date.parse(`${s}T00:00:00Z`)),
]);

export const metadataRowSchema = z.strictObject({
  file: z.string().min(1).max(4096),
  callId: z.preprocess(empty, idSchema.optional()),
  tenant: z.preprocess(empty, idSchema.optional()),
  agent: z.preprocess(empty, idSchema.optional()),
  queue: z.preprocess(empty, idSchema.optional()),
  startedAt: z.preprocess(empty, instant.optional()),
});

function given(row: z.infer<typeof metadataRowSchema>): GivenMeta {
  return {
    ...(row.callId !== undefined ? { callId: row.callId } : {}),
    ...(row.tenant !== undefined ? { tenantId: row.tenant } : {}),
    ...(row.agent !== undefined ? { agentId: row.agent } : {}),
    ...(row.queue !== undefined ? { queue: row.queue } : {}),
    ...(row.startedAt !== undefined ? { startedAtMs: row.startedAt } : {}),
  };
}

/** Metadata of many recordings, looked up by path (or, when unambiguous, by file name). */
export class MetadataIndex {
  private readonly byPath = new Map<string, GivenMeta>();
  private readonly byName = new Map<string, GivenMeta | null>();

  add(path: string, meta: GivenMeta): void {
    this.byPath.set(resolve(path), meta);
    const name = basename(path);
    this.byName.set(name, this.byName.has(name) ? null : meta);
  }

  lookup(path: string): GivenMeta | undefined {
    return this.byPath.get(resolve(path)) ?? this.byName.get(basename(path)) ?? undefined;
  }

  get size(): number {
    return this.byPath.size;
  }
}

/** Reads a metadata file: `.jsonl`/`.ndjson` as JSON lines, anything else as CSV with a header row. */
export function readMetadataFile(path: string): MetadataIndex {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new RecordingError('BAD_METADATA', `${path}: ${(err as Error).message}`);
  }
  const jsonLines = /\.(jsonl|ndjson)$/i.test(path);
  let rows: { line: number; value: unknown }[];
  try {
    rows = jsonLines
      ? text
          .split(/\r?\n/)
          .map((line, i) => ({ line: i + 1, text: line.trim() }))
          .filter((l) => l.text !== '')
          .map((l) => ({ line: l.line, value: JSON.parse(l.text) as unknown }))
      : (parseCsv(text, { columns: true, skip_empty_lines: true, trim: true, bom: true }) as unknown[]).map(
          (value, i) => ({ line: i + 2, value }),
        );
  } catch (err) {
    throw new RecordingError('BAD_METADATA', `${path}: ${(err as Error).message}`);
  }
  const index = new MetadataIndex();
  const base = dirname(resolve(path));
  for (const { line, value } of rows) {
    const row = metadataRowSchema.safeParse(value);
    if (!row.success) {
      const issues = row.error.issues.map((i) => `${i.path.join('.') || '(row)'}: ${i.message}`).join('; ');
      throw new RecordingError('BAD_METADATA', `${path} line ${line}: ${issues}`);
    }
    index.add(resolve(base, row.data.file), given(row.data));
  }
  return index;
}

const PATTERN_FIELDS = ['callId', 'tenant', 'agent', 'queue', 'startedAt'] as const;
type PatternField = (typeof PATTERN_FIELDS)[number];

/**
 * A file-name pattern such as `{tenant}_{agent}_{callId}_{startedAt}`, matched against the file name
 * without its extension. Placeholders match up to the next literal; `{startedAt}` takes ISO 8601,
 * also with `-` for `:` or in basic form (20240501T101500Z), as file names cannot hold colons
 * everywhere.
 */
export class FileNamePattern {
  private readonly regex: RegExp;
  private readonly fields: PatternField[] = [];

  constructor(readonly pattern: string) {
    let source = '';
    let last = 0;
    for (const m of pattern.matchAll(/\{(\w+)\}/g)) {
      const field = m[1] as PatternField;
      if (!PATTERN_FIELDS.includes(field))
        throw new RecordingError(
          'BAD_METADATA',
          `file-name pattern '${pattern}': unknown field {${field}} (have ${PATTERN_FIELDS.map((f) => `{${f}}`).join(', ')})`,
        );
      source += escapeRegex(pattern.slice(last, m.index)) + '(.+?)';
      this.fields.push(field);
      last = m.index + m[0].length;
    }
    if (this.fields.length === 0)
      throw new RecordingError('BAD_METADATA', `file-name pattern '${pattern}' has no {field}`);
    this.regex = new RegExp(`^${source}${escapeRegex(pattern.slice(last))}$`);
  }

  /** The fields the file's name gives; throws when it does not match. */
  match(path: string): GivenMeta {
    const name = basename(path, extname(path));
    const m = this.regex.exec(name);
    if (!m) throw new RecordingError('BAD_METADATA', `file name '${name}' does not match '${this.pattern}'`);
    const row: Record<string, string> = { file: path };
    this.fields.forEach((field, i) => {
      row[field] = field === 'startedAt' ? isoFromFileName(m[i + 1]!) : m[i + 1]!;
    });
    const parsed = metadataRowSchema.safeParse(row);
    if (!parsed.success)
      throw new RecordingError(
        'BAD_METADATA',
        `file name '${name}': ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    return given(parsed.data);
  }
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** 20240501T101500Z or 2024-05-01T10-15-00Z → 2024-05-01T10:15:00Z; anything else unchanged. */
function isoFromFileName(s: string): string {
  const basic = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(Z|[+-]\d{4})$/.exec(s);
  if (basic) {
    const [, y, mo, d, h, mi, sec, zone] = basic;
    const z = zone === 'Z' ? 'Z' : `${zone!.slice(0, 3)}:${zone!.slice(3)}`;
    return `${y}-${mo}-${d}T${h}:${mi}:${sec}${z}`;
  }
  const dashed = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})(.*)$/.exec(s);
  return dashed ? `${dashed[1]}T${dashed[2]}:${dashed[3]}:${dashed[4]}${dashed[5]}` : s;
}

/** Call id of a recording nobody named: its content, so the same audio is always the same call. */
export function callIdFromHash(contentHash: string): string {
  return `rec-${contentHash.slice(0, 24)}`;
}

/** The metadata of one recording: what was given, completed with the stated defaults. */
export function completeMeta(
  givenMeta: GivenMeta,
  defaults: { contentHash: string; modifiedAtMs: number; tenantId?: string },
): RecordingMeta {
  const assumed: RecordingMeta['assumed'] = [];
  if (givenMeta.callId === undefined) assumed.push('callId');
  if (givenMeta.tenantId === undefined && defaults.tenantId === undefined) assumed.push('tenant');
  if (givenMeta.startedAtMs === undefined) assumed.push('startedAt');
  return {
    callId: givenMeta.callId ?? callIdFromHash(defaults.contentHash),
    tenantId: givenMeta.tenantId ?? defaults.tenantId ?? DEFAULT_TENANT,
    agentId: givenMeta.agentId ?? null,
    queue: givenMeta.queue ?? null,
    startedAtMs: Math.round(givenMeta.startedAtMs ?? defaults.modifiedAtMs),
    assumed,
  };
}
