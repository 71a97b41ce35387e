// `voicepulse analyze <paths…>`: recorded calls into history. Thin: discovery and metadata
// (core/recordings), analysis on worker threads and the batch (services/live/recordings), the
// idempotent store (embedded chdb, a ClickHouse server, or Kafka); this file parses flags, opens the
// store and shows progress and results.
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { stringify } from 'csv-stringify/sync';
import { AudioFileError, checkAudioFile } from '../../core/audio/file.ts';
import { createBus } from '../../core/bus/create.ts';
import { ConfigError, parseBrokers, type Settings } from '../../core/config/env.ts';
import { detailOf } from '../../core/errors.ts';
import { COMMITTED_MODEL_DIR } from '../../core/model/format.ts';
import { discoverRecordings } from '../../core/recordings/discover.ts';
import { FileNamePattern, type MetadataIndex, readMetadataFile } from '../../core/recordings/metadata.ts';
import { REPORT_CSV_COLUMNS, type RecordingReport, reportCsvRow } from '../../core/recordings/report.ts';
import { busRecordingStore, type RecordingStore } from '../../core/recordings/store.ts';
import { DEFAULT_SETTINGS } from '../../core/streaming/config.ts';
import { analyzeFiles, type BatchProgress } from '../../services/live/recordings/batch.ts';
import { AnalysisPool } from '../../services/live/recordings/pool.ts';
import { clickhouseRecordingStore } from '../../services/sink/recording-store.ts';
import { type MaxFileFlag, maxFileBytes, maxFileOption, warningLine } from '../audio.ts';
import { CliError } from '../errors.ts';
import { intOption } from '../flags.ts';
import { readTenantPolicies } from './policies.ts';
import { addRoleOptions, type RoleFlags, speakerRoles } from './roles.ts';
import { openAnalyticsStore } from './store.ts';

interface AnalyzeFlags extends RoleFlags, MaxFileFlag {
  metadata?: string;
  namePattern?: string;
  tenant?: string;
  policies?: string;
  model?: string;
  threads?: number;
  kafka?: string;
  clickhouse?: string;
  json?: boolean;
  csv?: boolean;
}

function usage(message: string): never {
  throw new CliError(message, 'USAGE');
}

function setting<T>(parse: (name: string, text: string) => T, name: string, text: string): T {
  try {
    return parse(name, text);
  } catch (err) {
    if (err instanceof ConfigError) usage(detailOf(err));
    throw err;
  }
}

/** The store the flags (then the environment) name: Kafka (checked against ClickHouse), or ClickHouse. */
async function openStore(
  flags: AnalyzeFlags,
  settings: Settings,
): Promise<{ store: RecordingStore; where: string; close: () => Promise<void> }> {
  const brokers = flags.kafka ? setting(parseBrokers, '--kafka', flags.kafka) : settings.kafka.brokers;
  if (brokers && !flags.clickhouse && !settings.clickhouse.url)
    usage(
      '--kafka needs --clickhouse (or VOICEPULSE_CLICKHOUSE_URL): analyze checks there what the sink has stored already',
    );
  const { ch, where, url } = await openAnalyticsStore(flags.clickhouse, settings);
  if (!brokers) return { store: clickhouseRecordingStore(ch), where, close: () => ch.close() };
  const k = settings.kafka;
  const bus = await createBus({
    kind: 'kafka',
    brokers,
    ...(k.partitions ? { partitions: k.partitions } : {}),
    ...(k.replicationFactor ? { replicationFactor: k.replicationFactor } : {}),
    ...(k.topicPrefix ? { topicPrefix: k.topicPrefix } : {}),
  });
  return {
    store: busRecordingStore(bus, ch),
    where: `Kafka ${brokers.join(',')} (checked against ClickHouse ${url})`,
    close: async () => {
      await bus.close();
      await ch.close();
    },
  };
}

const hours = (ms: number) => `${(ms / 3_600_000).toFixed(2)} h`;
const clock = (s: number) => {
  const t = Math.max(0, Math.round(s));
  return `${Math.floor(t / 60)}:${String(t % 60).padStart(2, '0')}`;
};

/**
 * One status line redrawn in place on a terminal: files, audio hours, × real time and ETA.
 * Hand-written: it is one line and four numbers; a progress-bar package brings nothing else here.
 */
function progressLine(p: BatchProgress, width = 24): string {
  const done = p.filesTotal === 0 ? 1 : p.filesDone / p.filesTotal;
  const filled = Math.round(done * width);
  const speed = p.elapsedMs > 0 ? p.audioMs / p.elapsedMs : 0;
  const eta = p.etaMs === undefined ? '–' : clock(p.etaMs / 1000);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.filesDone}/${p.filesTotal} files  ${hours(p.audioMs)} audio  ${speed.toFixed(0)}× real time  ETA ${eta}`;
}

function assumedNote(r: RecordingReport): string | undefined {
  if (r.assumed.length === 0) return undefined;
  const parts = r.assumed.map((a) =>
    a === 'callId'
      ? `call id ${r.callId} from the content hash`
      : a === 'tenant'
        ? `tenant ${r.tenant}`
        : `start ${r.startedAt} from the file's modification time`,
  );
  return `${r.file}: no metadata: ${parts.join(', ')}`;
}

function plainLine(r: RecordingReport): string {
  if (r.status === 'failed') return `failed    ${r.file}: ${r.reason}`;
  if (r.status === 'skipped') return `skipped   ${r.file}: ${r.reason} (${r.callId})`;
  return `analysed  ${r.file}: ${r.callId}, ${clock(r.durationS ?? 0)}, ${r.alerts} alerts, CSAT ${r.csat?.toFixed(2) ?? '–'}`;
}

/** The summary table: one row per recording, then the totals. */
function summaryTable(reports: RecordingReport[], elapsedMs: number): string {
  const fmt = (v: number | undefined) => (v === undefined ? '–' : v.toFixed(2));
  const head = [
    'file',
    'status',
    'call id',
    'duration',
    'customer valence',
    'customer frustration',
    'alerts',
    'CSAT',
  ];
  const rows = reports.map((r) => {
    const c = r.emotion.customer;
    return [
      basename(r.file),
      r.status,
      r.callId ?? '–',
      r.durationS === null ? '–' : clock(r.durationS),
      c ? `${fmt(c.valence.start)} → ${fmt(c.valence.end)}` : '–',
      c ? `${fmt(c.frustration.start)} → ${fmt(c.frustration.end)}` : '–',
      r.alerts === null ? '–' : String(r.alerts),
      r.csat === null ? '–' : r.csat.toFixed(2),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const audioMs = reports.reduce((n, r) => n + (r.durationS ?? 0) * 1000, 0);
  const count = (s: string) => reports.filter((r) => r.status === s).length;
  return [
    line(head),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map(line),
    '',
    `${count('analysed')} analysed, ${count('skipped')} skipped (already stored), ${count('failed')} failed; ${hours(audioMs)} of audio in ${(elapsedMs / 1000).toFixed(1)} s (${(audioMs / Math.max(1, elapsedMs)).toFixed(0)}× real time)`,
  ].join('\n');
}

export function registerAnalyzeCommand(program: Command, settings: Settings): void {
  const analyze = program
    .command('analyze')
    .description(
      'analyse recorded calls (WAV, MP3, FLAC, Ogg/Opus; files, folders, globs) into history with their original time',
    )
    .argument('<paths...>', 'recordings: files, folders (searched recursively) or glob patterns')
    .option(
      '--metadata <file>',
      'CSV (header row) or JSON lines with file,callId,tenant,agent,queue,startedAt',
    )
    .option(
      '--name-pattern <pattern>',
      "metadata from file names, e.g. '{tenant}_{agent}_{callId}_{startedAt}' (startedAt ISO 8601 or 20240501T101500Z)",
    )
    .option('--tenant <id>', 'tenant of recordings whose metadata names none (default: default)')
    .addOption(maxFileOption());
  addRoleOptions(analyze)
    .option(
      '--policies <file>',
      'tenant policies JSON, as serve’s (env VOICEPULSE_POLICIES); agent scoring is off by default',
    )
    .option(
      '--model <dir>',
      'emotion model directory (env VOICEPULSE_MODEL_DIR, default the committed model)',
    )
    .option(
      '--threads <n>',
      'analysis threads (default: the number of cores)',
      intOption('--threads', { min: 1, max: 256 }),
    )
    .option(
      '--kafka <brokers>',
      'publish to Kafka host:port[,…] for the sink (needs --clickhouse; env VOICEPULSE_KAFKA_BROKERS)',
    )
    .option(
      '--clickhouse <url>',
      'ClickHouse server instead of the embedded store (env VOICEPULSE_CLICKHOUSE_URL)',
    )
    .option('--json', 'print one JSON summary per call on stdout')
    .option('--csv', 'print the same summaries as CSV on stdout')
    .action(async (paths: string[], flags: AnalyzeFlags) => {
      if (flags.json && flags.csv) usage('--json and --csv exclude each other');
      const roles = speakerRoles(flags);
      let metadata: MetadataIndex | undefined;
      let pattern: FileNamePattern | undefined;
      try {
        if (flags.metadata) metadata = readMetadataFile(flags.metadata);
        if (flags.namePattern) pattern = new FileNamePattern(flags.namePattern);
      } catch (err) {
        usage(detailOf(err as CliError));
      }
      const policiesFile = flags.policies ?? settings.live.policiesFile;
      const policies = readTenantPolicies(policiesFile);
      const discovered = await discoverRecordings(paths);
      for (const m of discovered.missing)
        process.stderr.write(`voicepulse: ${m}: no such file, folder or matching recording\n`);
      // The shared check (a regular file within the size limit); a refused file is one line, the batch goes on.
      const maxBytes = maxFileBytes(flags, settings);
      const files: string[] = [];
      for (const file of discovered.files) {
        try {
          await checkAudioFile(file, { maxBytes });
          files.push(file);
        } catch (err) {
          if (!(err instanceof AudioFileError)) throw err;
          process.stderr.write(`voicepulse: ${detailOf(err)}\n`);
        }
      }
      if (files.length === 0) throw new CliError('no recordings to analyse');

      const opened = await openStore(flags, settings);
      const pool = new AnalysisPool({
        modelDir: flags.model ?? settings.model.dir ?? COMMITTED_MODEL_DIR,
        runtime: settings.model.runtime,
        explain: settings.model.explain,
        config: DEFAULT_SETTINGS,
        threads: flags.threads ?? availableParallelism(),
      });
      const tty = process.stderr.isTTY === true;
      const started = performance.now();
      let last = '';
      const clear = () => {
        if (tty && last) process.stderr.write('\r\x1b[2K');
      };
      const show = (text: string) => {
        clear();
        process.stderr.write(`${text}\n`);
        if (tty && last) process.stderr.write(last);
      };
      process.stderr.write(`analysing ${files.length} recordings into ${opened.where}\n`);
      if (flags.csv) process.stdout.write(stringify([REPORT_CSV_COLUMNS as unknown as string[]]));
      let reports: RecordingReport[];
      try {
        reports = await analyzeFiles(files, {
          pool,
          store: opened.store,
          policies,
          roles,
          maxFileBytes: maxBytes,
          onWarnings: (file, warnings) => show(warningLine(file, warnings)),
          ...(metadata ? { metadata } : {}),
          ...(pattern ? { pattern } : {}),
          ...(flags.tenant ? { tenantId: flags.tenant } : {}),
          onProgress: (p) => {
            if (!tty) return;
            last = progressLine(p);
            process.stderr.write(`\r\x1b[2K${last}`);
          },
          onReport: (r) => {
            const note = assumedNote(r);
            if (note) show(note);
            if (!tty || r.status !== 'analysed') show(plainLine(r));
            if (flags.json) process.stdout.write(`${JSON.stringify(r)}\n`);
            if (flags.csv) process.stdout.write(stringify([reportCsvRow(r)]));
          },
        });
      } finally {
        clear();
        last = '';
        await pool.close();
        await opened.close();
      }
      const table = summaryTable(reports, performance.now() - started);
      // With --json/--csv, stdout carries only the data; the table goes to stderr.
      (flags.json || flags.csv ? process.stderr : process.stdout).write(`${table}\n`);
      if (reports.every((r) => r.status === 'failed')) throw new CliError('no recording could be analysed');
    });
}
