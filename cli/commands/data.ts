import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import type { Settings } from '../../core/config/env.ts';
import {
  buildSplitManifest,
  formatSplitManifest,
  SCANNED_SPLIT_CORPORA,
} from '../../core/corpora/build-splits.ts';
import { CORPUS_IDS, type CorpusId } from '../../core/corpora/clip.ts';
import { CorpusRootError, scanCorporaReport } from '../../core/corpora/scan.ts';
import {
  loadSplitManifest,
  SPLIT_MANIFEST_URL,
  type SplitManifestData,
} from '../../core/corpora/split-manifest.ts';
import { type CorpusStats, compareLabels, corpusStats, type StatsRow } from '../../core/corpora/stats.ts';
import { CliError } from '../errors.ts';

interface StatsOptions {
  json?: boolean;
  data?: string;
  cremad?: string;
  savee?: string;
}

interface SplitsOptions {
  data?: string;
  check?: boolean;
}

export function registerDataCommand(program: Command, settings: Settings): void {
  const data = program.command('data').description('emotional speech corpora');
  data
    .command('stats')
    .description('counts and hours per corpus x emotion x split')
    .option(
      '--json',
      'print one row per corpus, split, emotion and speaker: {corpus, split, emotion, speaker, files, seconds}',
    )
    .option(
      '--data <dir>',
      'data root holding ravdess/, tess/, emovo/, urdu/ … (default: $VOICEPULSE_DATA or ../shared/data)',
    )
    .option('--cremad <dir>', 'your CREMA-D copy (default: <data>/cremad)')
    .option('--savee <dir>', 'your SAVEE copy (default: <data>/savee)')
    .action((opts: StatsOptions) => {
      const dataRoot = opts.data ?? settings.data.root;
      const stats = computeStats(dataRoot, opts);
      if (opts.json) process.stdout.write(`${JSON.stringify(stats.rows, null, 2)}\n`);
      else process.stdout.write(renderStats(stats.rows));
      reportProblems(stats);
    });
  data
    .command('splits')
    .description('regenerate core/corpora/splits.json from the corpus file lists')
    .option('--data <dir>', 'data root (default: $VOICEPULSE_DATA or ../shared/data)')
    .option('--check', 'compare instead of writing; fail when the committed manifest is stale')
    .action((opts: SplitsOptions) => writeSplits(opts.data ?? settings.data.root, opts.check === true));
}

/**
 * splits.json is generated, never hand-edited: from the corpora present under `dataRoot`; a corpus
 * that is absent keeps its committed protocols (said on stderr), so a partial data root neither
 * fails nor drops anyone's splits. Your own recordings ('custom') are never written into it.
 */
function writeSplits(dataRoot: string, check: boolean): void {
  const scans = scanCorporaReport(dataRoot).filter((s) => s.corpus !== 'custom');
  const present = (id: CorpusId) => scans.some((s) => s.corpus === id && s.clips.length > 0);
  if (!SCANNED_SPLIT_CORPORA.some(present))
    throw new CliError(`data splits: none of ${SCANNED_SPLIT_CORPORA.join(', ')} under ${dataRoot}`);
  const built = buildSplitManifest(scans.flatMap((s) => s.clips));
  const committed = loadSplitManifest().data.corpora;
  const corpora: SplitManifestData['corpora'] = {};
  for (const id of CORPUS_IDS) {
    const kept = SCANNED_SPLIT_CORPORA.includes(id as never) && !present(id);
    const splits = kept ? committed[id] : built.corpora[id];
    if (kept && splits)
      process.stderr.write(`data splits: ${id} not under ${dataRoot}: its committed splits kept\n`);
    if (splits) corpora[id] = splits;
  }
  const text = formatSplitManifest({ ...built, corpora });
  const target = fileURLToPath(SPLIT_MANIFEST_URL);
  if (!check) {
    writeFileSync(target, text);
    process.stdout.write(`data splits: wrote ${target}\n`);
  } else if (readFileSync(target, 'utf8') !== text) {
    throw new CliError(`data splits: ${target} is out of date; rerun without --check`);
  } else {
    process.stdout.write(`data splits: ${target} is up to date\n`);
  }
}

function computeStats(dataRoot: string, opts: StatsOptions): CorpusStats {
  let scans: ReturnType<typeof scanCorporaReport>;
  try {
    scans = scanCorporaReport(dataRoot, { roots: { cremad: opts.cremad, savee: opts.savee } });
  } catch (err) {
    if (err instanceof CorpusRootError) throw new CliError(`data stats: ${err.message}`);
    throw err;
  }
  if (scans.length === 0) {
    throw new CliError(`data stats: no corpus folder (${CORPUS_IDS.join(', ')}) under ${dataRoot}`);
  }
  return corpusStats(scans, loadSplitManifest());
}

/** Rejected names and unreadable files go to stderr so --json output stays clean. */
function reportProblems(stats: CorpusStats): void {
  const counts = new Map<string, number>();
  for (const i of stats.issues)
    counts.set(`${i.corpus} ${i.code}`, (counts.get(`${i.corpus} ${i.code}`) ?? 0) + 1);
  for (const [key, n] of counts) process.stderr.write(`data stats: ${n} file(s) skipped: ${key}\n`);
  for (const u of stats.unreadable)
    process.stderr.write(`data stats: unreadable ${u.corpus}/${u.path}: ${u.message}\n`);
}

interface Line {
  corpus: string;
  split: string;
  byLabel: Map<string, { files: number; seconds: number }>;
}

/** Readable tables: files, then minutes, per corpus × split × label, with corpus and grand totals. */
export function renderStats(rows: readonly StatsRow[]): string {
  const labels = [...new Set(rows.map((r) => r.emotion))].sort(compareLabels);
  const lines: Line[] = [];
  const add = (corpus: string, split: string, r: StatsRow) => {
    let line = lines.find((l) => l.corpus === corpus && l.split === split);
    if (!line) {
      line = { corpus, split, byLabel: new Map() };
      lines.push(line);
    }
    const cell = line.byLabel.get(r.emotion) ?? { files: 0, seconds: 0 };
    cell.files += r.files;
    cell.seconds += r.seconds;
    line.byLabel.set(r.emotion, cell);
  };
  const corpora = [...new Set(rows.map((r) => r.corpus))];
  for (const corpus of corpora) {
    const own = rows.filter((r) => r.corpus === corpus);
    for (const r of own) add(corpus, r.split, r);
    for (const r of own) add(corpus, 'total', r);
  }
  for (const r of rows) add('all', 'total', r);

  const table = (title: string, value: (c: { files: number; seconds: number }) => string): string => {
    const header = ['corpus', 'split', ...labels, 'total'];
    const body = lines.map((l) => {
      const cells = labels.map((label) => {
        const c = l.byLabel.get(label);
        return c ? value(c) : '-';
      });
      const sum = [...l.byLabel.values()].reduce(
        (a, c) => ({ files: a.files + c.files, seconds: a.seconds + c.seconds }),
        { files: 0, seconds: 0 },
      );
      return [l.corpus, l.split, ...cells, value(sum)];
    });
    const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
    const fmt = (row: string[]) =>
      row.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
    return [title, fmt(header), ...body.map(fmt)].join('\n');
  };
  const files = table('files', (c) => String(c.files));
  const minutes = table('minutes', (c) => (c.seconds / 60).toFixed(1));
  const totalFiles = rows.reduce((a, r) => a + r.files, 0);
  const hours = rows.reduce((a, r) => a + r.seconds, 0) / 3600;
  return `${files}\n\n${minutes}\n\n${totalFiles} files, ${hours.toFixed(2)} hours\n`;
}
