import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { type DecodedAudio, DecodeError, decodeAll } from '../../core/audio/decode.ts';
import { MAX_AUDIO_FILE_BYTES } from '../../core/audio/file.ts';
import { resample } from '../../core/audio/resample.ts';
import type { Settings } from '../../core/config/env.ts';
import { labelledSplits } from '../../core/corpora/build-splits.ts';
import {
  LABELS_FILE,
  LabelledCorpusError,
  type LabelRow,
  parseLabelRows,
  scanLabelled,
} from '../../core/corpora/labelled.ts';
import {
  loadSplitManifest,
  SPLITS,
  type Split,
  SplitError,
  type SplitManifest,
} from '../../core/corpora/split-manifest.ts';
import { EMOTIONS, type Emotion, isEmotion } from '../../core/emotions.ts';
import { detailOf } from '../../core/errors.ts';
import {
  buildCalls,
  CALL_MODES,
  type CallClip,
  type CallMode,
  clipWindows,
} from '../../core/evaluation/calls.ts';
import { classificationReport, topClass } from '../../core/evaluation/classification.ts';
import { compareUa } from '../../core/evaluation/compare.ts';
import {
  COMMITTED_MODEL_DIR,
  COMMITTED_MODEL_VERSION,
  type EmotionModel,
  loadModel,
  ModelError,
} from '../../core/model/format.ts';
import { averageProbs } from '../../core/model/probs.ts';
import { type ModelRunner, openModel } from '../../core/model/runner.ts';
import { type RuntimeChoice, RuntimeError } from '../../core/model/runtime.ts';
import { streamingWindow } from '../../core/model/windows.ts';
import { type ChannelWindow, scoreChannel } from '../../core/recordings/channel.ts';
import {
  AGENT_NOT_SCORED,
  mayScore,
  type SpeakerOverall,
  speakerOverall,
} from '../../core/recordings/classify.ts';
import { channelRoles, type RoleOptions } from '../../core/recordings/roles.ts';
import {
  DEFAULT_SETTINGS,
  modelStreaming,
  type StreamingConfig,
  StreamingConfigError,
} from '../../core/streaming/config.ts';
import { DEFAULT_POLICY, policyFor, type TenantPolicy } from '../../core/tenancy/policy.ts';
import type { SpeakerHistory } from '../../training/pipeline.ts';
import { type MaxFileFlag, maxFileBytes, maxFileOption, readInputAudio } from '../audio.ts';
import { importDevOnly } from '../dev-only.ts';
import { CliError } from '../errors.ts';
import { intOption } from '../flags.ts';
import { readTenantPolicies } from './policies.ts';
import { addRoleOptions, type RoleFlags, speakerRoles } from './roles.ts';

/** The version (and models/ folder) a training run on your own recordings writes by default. */
const CUSTOM_MODEL_VERSION = 'emotion-tdnn-custom';

/** The model in `dir` (default the committed one) on `runtime` (VOICEPULSE_MODEL_RUNTIME). */
async function openRunner(dir: string | undefined, runtime: RuntimeChoice): Promise<ModelRunner> {
  try {
    return await openModel(dir ?? COMMITTED_MODEL_DIR, { runtime });
  } catch (err) {
    if (err instanceof ModelError || err instanceof RuntimeError)
      throw new CliError(err.message, 'FAILED', { cause: err });
    throw err;
  }
}

/** Any recording the audio core decodes: WAV, MP3, FLAC, Ogg/Opus (core/audio/decode.ts). */
async function readAudio(file: string, maxBytes: number): Promise<DecodedAudio> {
  const bytes = await readInputAudio(file, maxBytes);
  try {
    return await decodeAll(bytes);
  } catch (err) {
    if (err instanceof DecodeError) throw new CliError(`${file}: ${err.message}`);
    throw err;
  }
}

function toModelRate(x: Float32Array, rate: number, model: EmotionModel): Float32Array {
  return rate === model.frontend.sr ? x : resample(x, rate, model.frontend.sr);
}

/** Speaker of each channel: a call's roles (mono or stereo, core/recordings/roles.ts), else channelN. */
function speakerNames(count: number, roles: RoleOptions): string[] {
  return count <= 2 ? channelRoles(count, roles) : Array.from({ length: count }, (_, i) => `channel${i}`);
}

const round = (v: number) => Math.round(v * 1e4) / 1e4;
const roundProbs = (p: Record<Emotion, number>) =>
  Object.fromEntries(EMOTIONS.map((e) => [e, round(p[e])])) as Record<Emotion, number>;

/** The shape `classify --json` prints: model, windows, overall, and each speaker's overall. */
export interface ClassifyOutput {
  model: string;
  windows: { start: number; end: number; speaker: string; probs: Record<Emotion, number> }[];
  overall: Record<Emotion, number>;
  /** Per speaker (by role): emotion mix, valence, arousal, frustration; or why it was not scored. */
  speakers: Record<string, SpeakerOverall>;
}

/**
 * Scores a file the way the live service scores a call: each channel is cut into the same windows
 * at the same sample positions (core/streaming SpeakerStream, so silent windows are skipped; the
 * model's window unless another is asked for) and each channel's windows are scored in order as
 * one speaker's model stream, so `classify` equals the live scores of the same audio. A channel
 * with no scorable window (too short or too quiet) is scored as one window.
 */
export async function classifyFile(
  file: string,
  runner: ModelRunner,
  windowMs = runner.model.window.lengthMs,
  hopMs = runner.model.window.hopMs,
  call: { roles?: RoleOptions; policy?: TenantPolicy; maxBytes?: number } = {},
): Promise<ClassifyOutput> {
  const { model } = runner;
  const audio = await readAudio(file, call.maxBytes ?? MAX_AUDIO_FILE_BYTES);
  let config: StreamingConfig;
  try {
    config = modelStreaming(DEFAULT_SETTINGS, streamingWindow({ lengthMs: windowMs, hopMs }));
  } catch (err) {
    if (err instanceof StreamingConfigError) throw new CliError(detailOf(err), 'USAGE', { cause: err });
    throw err;
  }
  const windows: ClassifyOutput['windows'] = [];
  const speakers: ClassifyOutput['speakers'] = {};
  const names = speakerNames(audio.channels.length, call.roles ?? {});
  for (const [i, channel] of audio.channels.entries()) {
    const name = names[i]!;
    // The agent's audio is scored only where the tenant allows it, as in live calls.
    if ((name === 'agent' || name === 'customer') && !mayScore(name, call.policy ?? DEFAULT_POLICY)) {
      speakers[name] = { scored: false, reason: AGENT_NOT_SCORED };
      continue;
    }
    const x = toModelRate(channel, audio.sampleRate, model);
    let scored: ChannelWindow[];
    try {
      scored = await scoreChannel(runner, x, config);
    } catch (err) {
      if (err instanceof ModelError) throw new CliError(`${file}: ${err.message}`, 'FAILED', { cause: err });
      throw err;
    }
    for (const w of scored)
      windows.push({
        start: round(w.startMs / 1000),
        end: round(w.endMs / 1000),
        speaker: name,
        probs: roundProbs(w.probs),
      });
    speakers[name] = speakerOverall(scored, config.emaAlpha);
  }
  return {
    model: model.version,
    windows,
    overall: roundProbs(averageProbs(windows)),
    speakers,
  };
}

function formatProbs(p: Record<Emotion, number>): string {
  return EMOTIONS.map((e) => `${e} ${(100 * p[e]).toFixed(0).padStart(3)}%`).join('  ');
}

function topEmotion(p: Record<Emotion, number>): Emotion {
  return EMOTIONS.reduce((a, b) => (p[b] > p[a] ? b : a));
}

/**
 * Parses a labels CSV (`file,emotion[,speaker]`, optional header; core/corpora/labelled.ts reads
 * it); files are relative to `dir`.
 */
export function parseLabels(csv: string, dir: string): LabelledRecording[] {
  let rows: LabelRow[];
  try {
    rows = parseLabelRows(csv, 'labels');
  } catch (err) {
    if (err instanceof LabelledCorpusError) throw new CliError(detailOf(err), 'USAGE', { cause: err });
    throw err;
  }
  const out = rows.map((row) => {
    if (!isEmotion(row.emotion))
      throw new CliError(
        `labels line ${row.line}: emotion '${row.emotion}' is not one of ${EMOTIONS.join(', ')}`,
        'USAGE',
      );
    return {
      file: isAbsolute(row.file) ? row.file : join(dir, row.file),
      emotion: row.emotion,
      speaker: row.speaker,
    };
  });
  if (out.length === 0) throw new CliError('labels file lists no files', 'USAGE');
  return out;
}

/**
 * The recordings of one split of your labelled recordings' speaker-disjoint split, read as
 * `train --corpus` reads them (the same loader, the same split).
 */
function splitRecordings(dir: string, labels: string, split: Split): LabelledRecording[] {
  let scan: ReturnType<typeof scanLabelled>;
  let manifest: SplitManifest;
  try {
    scan = scanLabelled(dir, labels);
    manifest = loadSplitManifest().withCorpus('custom', labelledSplits(scan.clips));
  } catch (err) {
    if (err instanceof LabelledCorpusError || err instanceof SplitError)
      throw new CliError(detailOf(err), 'USAGE', { cause: err });
    throw err;
  }
  for (const i of scan.issues) process.stderr.write(`eval: skipped ${i.message}\n`);
  return scan.clips
    .filter((c) => c.emotion !== null && manifest.splitOf(c) === split)
    .map((c) => ({ file: join(dir, c.path), emotion: c.emotion!, speaker: c.speaker }));
}

/** A recording eval scores: its file, its labelled emotion and its speaker ('' where unknown). */
interface LabelledRecording {
  file: string;
  emotion: Emotion;
  speaker: string;
}

export interface EvalOutput {
  ua: number;
  wa: number;
  macro_f1: number;
  n: number;
  confusion: Record<Emotion, Record<Emotion, number>>;
  /**
   * With `calls`: how the recordings were joined into calls (core/evaluation/calls.ts), how many
   * calls, and for single-emotion calls the UA of each call's first scored window.
   */
  calls?: { mode: CallMode; n: number; first_window_ua?: number };
  /**
   * With `--against`: the other model's UA on the same recordings, this model's minus it and that
   * difference's 95 % interval (paired bootstrap over the recordings, core/evaluation/compare.ts),
   * and the recordings only this model (only the other) classifies right.
   */
  against?: {
    model: string;
    ua: number;
    ua_diff: number;
    ci95: [number, number];
    right_only_here: number;
    right_only_there: number;
  };
}

export async function evaluateFolder(
  dir: string,
  labelsPath: string,
  runner: ModelRunner,
  split?: Split,
  maxBytes = MAX_AUDIO_FILE_BYTES,
  calls?: CallMode,
  against?: ModelRunner,
): Promise<EvalOutput> {
  let rows: LabelledRecording[];
  if (split !== undefined) rows = splitRecordings(dir, labelsPath, split);
  else {
    let csv: string;
    try {
      csv = readFileSync(labelsPath, 'utf8');
    } catch (err) {
      throw new CliError(`${labelsPath}: ${(err as Error).message}`);
    }
    rows = parseLabels(csv, dir);
  }
  if (rows.length === 0) throw new CliError(`eval: no recordings in the ${split} split`, 'USAGE');
  const truth = rows.map((row) => EMOTIONS.indexOf(row.emotion));
  const { probs, calls: callsOut } = await scoreRecordings(rows, runner, maxBytes, calls);
  const r = classificationReport(probs, truth, EMOTIONS.length);
  let againstOut: EvalOutput['against'];
  if (against) {
    const other = (await scoreRecordings(rows, against, maxBytes, calls)).probs;
    const c = compareUa(
      other.map((p) => topClass(p)),
      probs.map((p) => topClass(p)),
      truth,
    );
    againstOut = {
      model: against.model.version,
      ua: round(classificationReport(other, truth, EMOTIONS.length).ua),
      ua_diff: round(c.diff),
      ci95: [round(c.ci95[0]), round(c.ci95[1])],
      right_only_here: c.bOnly,
      right_only_there: c.aOnly,
    };
  }
  const confusion = Object.fromEntries(
    EMOTIONS.map((t, i) => [t, Object.fromEntries(EMOTIONS.map((p, j) => [p, r.confusion[i]![j]!]))]),
  ) as EvalOutput['confusion'];
  return {
    ua: round(r.ua),
    wa: round(r.wa),
    macro_f1: round(r.macroF1),
    n: r.n,
    confusion,
    ...(callsOut && { calls: callsOut }),
    ...(againstOut && { against: againstOut }),
  };
}

/** Each recording's class probabilities: scored alone (`classify`'s path) or inside calls. */
async function scoreRecordings(
  rows: readonly LabelledRecording[],
  runner: ModelRunner,
  maxBytes: number,
  calls?: CallMode,
): Promise<{ probs: number[][]; calls?: EvalOutput['calls'] }> {
  if (calls !== undefined) return evaluateCalls(rows, runner, calls, maxBytes);
  const probs: number[][] = [];
  for (const row of rows) {
    const out = await classifyFile(row.file, runner, undefined, undefined, { maxBytes });
    probs.push(EMOTIONS.map((e) => out.overall[e]));
  }
  return { probs };
}

/**
 * Each recording's score from calls built of the recordings (core/evaluation/calls.ts), each call
 * scored as the live service scores one speaker (scoreChannel); the first channel of each recording.
 */
async function evaluateCalls(
  rows: readonly LabelledRecording[],
  runner: ModelRunner,
  mode: CallMode,
  maxBytes: number,
): Promise<{ probs: number[][]; calls: NonNullable<EvalOutput['calls']> }> {
  const unnamed = rows.find((row) => row.speaker === '');
  if (unnamed)
    throw new CliError(`--calls needs a speaker for every recording; ${unnamed.file} has none`, 'USAGE');
  const { model } = runner;
  const sr = model.frontend.sr;
  const clips: CallClip[] = [];
  for (const row of rows) {
    const audio = await readAudio(row.file, maxBytes);
    clips.push({
      speaker: row.speaker,
      label: EMOTIONS.indexOf(row.emotion),
      samples: toModelRate(audio.channels[0]!, audio.sampleRate, model),
    });
  }
  const config = modelStreaming(DEFAULT_SETTINGS, streamingWindow(model.window));
  const probs: number[][] = rows.map(() => []);
  const first: { probs: number[]; label: number }[] = [];
  const built = buildCalls(clips, mode, sr);
  for (const call of built) {
    const windows = await scoreChannel(runner, call.samples, config);
    clipWindows(windows, call, sr).forEach((own, k) => {
      probs[call.clips[k]!.index] = EMOTIONS.map((e) => averageProbs(own)[e]);
    });
    if (mode === 'single' && windows[0])
      first.push({
        probs: EMOTIONS.map((e) => windows[0]!.probs[e]),
        label: clips[call.clips[0]!.index]!.label,
      });
  }
  const firstUa =
    first.length > 0
      ? classificationReport(
          first.map((f) => f.probs),
          first.map((f) => f.label),
          EMOTIONS.length,
        ).ua
      : undefined;
  return {
    probs,
    calls: { mode, n: built.length, ...(firstUa !== undefined && { first_window_ua: round(firstUa) }) },
  };
}

const positiveMs = (flag: string) => (value: string) => {
  const v = Number(value);
  if (!(v > 0) || !Number.isFinite(v))
    throw new CliError(`${flag} must be a positive number of ms, got '${value}'`, 'USAGE');
  return v;
};

interface CallFlags extends RoleFlags, MaxFileFlag {
  policies?: string;
  tenant: string;
}

/** Roles, the tenant's policy (the tenant policies file as `serve` reads it) and the size limit for `classify`. */
function callOptions(o: CallFlags, settings: Settings) {
  const roles = speakerRoles(o);
  const policy = policyFor(readTenantPolicies(o.policies ?? settings.live.policiesFile), o.tenant);
  return { roles, policy, maxBytes: maxFileBytes(o, settings) };
}

interface EvalFlags extends MaxFileFlag {
  dir: string;
  labels?: string;
  split?: string;
  calls?: string;
  json?: boolean;
  model?: string;
  against?: string;
}

export function registerModelCommands(program: Command, settings: Settings): void {
  const classify = program
    .command('classify <file>')
    .description(
      'score a WAV file (any rate or codec the audio core reads; stereo = two speakers) with the emotion model',
    )
    .option('--json', 'print JSON: {model, windows: [{start, end, speaker, probs}], overall, speakers}')
    .option('--model <dir>', 'model directory (default: the committed model)')
    .option('--window-ms <ms>', 'window length (default: the model’s)', positiveMs('--window-ms'))
    .option('--hop-ms <ms>', 'window hop (default: the model’s)', positiveMs('--hop-ms'));
  addRoleOptions(classify)
    .option(
      '--policies <file>',
      'tenant policies JSON (env VOICEPULSE_POLICIES): agent scoring is off by default',
    )
    .option('--tenant <id>', 'the tenant whose policy applies', 'default')
    .addOption(maxFileOption())
    .action(
      async (
        file: string,
        o: CallFlags & { json?: boolean; model?: string; windowMs?: number; hopMs?: number },
      ) => {
        const call = callOptions(o, settings);
        const runner = await openRunner(o.model, settings.model.runtime);
        const out = await classifyFile(file, runner, o.windowMs, o.hopMs, call);
        if (o.json) {
          process.stdout.write(`${JSON.stringify(out)}\n`);
          return;
        }
        const lines = out.windows.map(
          (w) =>
            `${w.start.toFixed(2).padStart(7)}-${w.end.toFixed(2).padEnd(7)} ${w.speaker.padEnd(6)} ${formatProbs(w.probs)}`,
        );
        for (const [name, s] of Object.entries(out.speakers))
          lines.push(
            s.scored
              ? `${name}: ${topEmotion(s.mix)}  ${formatProbs(s.mix)}  valence ${s.valence.toFixed(2)}  arousal ${s.arousal.toFixed(2)}  frustration ${s.frustration.mean.toFixed(2)} (peak ${s.frustration.peak.toFixed(2)})`
              : `${name}: not scored: ${s.reason}`,
          );
        lines.push(
          `overall (${out.model}, ${runner.runtime}): ${topEmotion(out.overall)}  ${formatProbs(out.overall)}`,
        );
        process.stdout.write(`${lines.join('\n')}\n`);
      },
    );

  program
    .command('eval')
    .description(
      'evaluate the emotion model on a folder of recordings labelled by a file,emotion[,speaker] CSV',
    )
    .requiredOption('--dir <folder>', 'folder holding the recordings')
    .option(
      '--labels <csv>',
      'CSV of file,emotion[,speaker] (the six class names), file relative to --dir (default: <dir>/labels.csv)',
    )
    .option(
      '--split <split>',
      'only the train, validation or test speakers of the speaker-disjoint split `train --corpus` uses (needs speakers)',
    )
    .option(
      '--calls <mode>',
      "score the recordings inside calls built from them, as a live call is scored: 'single' (each speaker's recordings of one emotion back to back) or 'mixed' (all of a speaker's recordings in a seeded random order); needs speakers",
    )
    .option('--json', 'print JSON: {ua, wa, macro_f1, n, confusion[, calls][, against]}')
    .option('--model <dir>', 'model directory (default: the committed model)')
    .option(
      '--against <dir>',
      'another model scored on the same recordings: the UA difference with its 95 % interval (paired bootstrap over the recordings)',
    )
    .addOption(maxFileOption())
    .action(async (o: EvalFlags) => {
      if (o.split !== undefined && !(SPLITS as readonly string[]).includes(o.split))
        throw new CliError(`--split must be one of ${SPLITS.join(', ')}, got '${o.split}'`, 'USAGE');
      if (o.calls !== undefined && !(CALL_MODES as readonly string[]).includes(o.calls))
        throw new CliError(`--calls must be one of ${CALL_MODES.join(', ')}, got '${o.calls}'`, 'USAGE');
      const runner = await openRunner(o.model, settings.model.runtime);
      const dir = resolve(o.dir);
      const labels = resolve(o.labels ?? join(dir, LABELS_FILE));
      const split = o.split as Split | undefined;
      const out = await evaluateFolder(
        dir,
        labels,
        runner,
        split,
        maxFileBytes(o, settings),
        o.calls as CallMode | undefined,
        o.against === undefined ? undefined : await openRunner(o.against, settings.model.runtime),
      );
      if (o.json) {
        process.stdout.write(`${JSON.stringify(out)}\n`);
        return;
      }
      const header = `truth\\pred ${EMOTIONS.map((e) => e.padStart(8)).join('')}`;
      const rows = EMOTIONS.map(
        (t) => `${t.padEnd(10)} ${EMOTIONS.map((p) => String(out.confusion[t][p]).padStart(8)).join('')}`,
      );
      const pct = (v: number) => `${(100 * v).toFixed(1)} %`;
      const a = out.against;
      const points = (v: number) => `${v >= 0 ? '+' : ''}${(100 * v).toFixed(1)}`;
      const versus = a
        ? `against ${a.model}: UA ${pct(a.ua)}, difference ${points(a.ua_diff)} points (95 % interval ${points(a.ci95[0])} to ${points(a.ci95[1])}, paired bootstrap over the recordings); right only here ${a.right_only_here}, only there ${a.right_only_there}\n`
        : '';
      process.stdout.write(
        `n ${out.n}  UA ${pct(out.ua)}  WA ${pct(out.wa)}  macro-F1 ${pct(out.macro_f1)}\n${header}\n${rows.join('\n')}\n${versus}`,
      );
    });

  program
    .command('train')
    .description('train the emotion model on the corpora (six classes, committed split manifest)')
    .option('--quick', 'tiny model on a small subset (CI smoke run, < 2 min)')
    .option('--seed <seed>', 'seed for augmentation, sampling and initialisation')
    .option('--data <dir>', 'corpus data root (default: VOICEPULSE_DATA or ../shared/data)')
    .option(
      '--out <dir>',
      'model directory to write (default: models/<version>, or .cache/model-quick with --quick)',
    )
    .option('--baseline <dir>', 'model directory evaluated on the same test clips, for the model card')
    .option(
      '--corpus <dir>',
      'your own labelled recordings: a folder of audio and a file,emotion,speaker CSV (docs: training/README.md)',
    )
    .option('--labels <csv>', 'the labels CSV of --corpus (default: <corpus>/labels.csv)')
    .option('--corpus-only', 'train on your recordings alone (default: with the corpora under --data)')
    .option(
      '--init <dir>',
      'fine-tune: start each network from a member of this model (e.g. models/emotion-tdnn-v4)',
    )
    .option(
      '--teacher <dir>',
      'distil this model (e.g. the committed ensemble) into one network on the train/validation split',
    )
    .option(
      '--speaker-channels [history]',
      "one network (four with --speaker-folds) that also hears each window's loudness and pitch against its speaker's usual (issue 16): " +
        "'all' their speech so far (the default), 'neutral' only what was scored neutral-like",
    )
    .option(
      '--speaker-folds',
      "with --speaker-channels: v4's four speaker-fold networks averaged, over one speaker prior, instead of one network",
    )
    .option(
      '--channels <n>',
      'network width: channels of the first three TDNN layers, twice that in the fourth (default 128)',
      intOption('--channels', { min: 8, max: 512 }),
    )
    .option(
      '--pool <n>',
      "10 ms frames averaged into each network frame (default 2); must divide the window's frames",
      intOption('--pool', { min: 1, max: 20 }),
    )
    .option(
      '--mean-floor <dB>',
      "window means over the frames within this many dB of the window's loudest, in training and in the model (default: all frames)",
      intOption('--mean-floor', { min: 1, max: 120 }),
    )
    .option(
      '--model-version <name>',
      `version name written into the model (default: the committed model's, ${CUSTOM_MODEL_VERSION} with --corpus)`,
    )
    .option(
      '--card <path>',
      'model card to write (default: docs/model-card.md for a full run into models/, else <out>/model-card.md; none with --quick)',
    )
    .action(
      async (o: {
        quick?: boolean;
        seed?: string;
        data?: string;
        out?: string;
        modelVersion?: string;
        card?: string;
        baseline?: string;
        corpus?: string;
        labels?: string;
        corpusOnly?: boolean;
        init?: string;
        teacher?: string;
        speakerChannels?: boolean | string;
        speakerFolds?: boolean;
        channels?: number;
        pool?: number;
        meanFloor?: number;
      }) => {
        if ((o.labels !== undefined || o.corpusOnly) && o.corpus === undefined)
          throw new CliError('--labels and --corpus-only need --corpus <dir>', 'USAGE');
        if (o.speakerFolds && o.speakerChannels === undefined)
          throw new CliError('--speaker-folds needs --speaker-channels', 'USAGE');
        const [{ describe, runTraining }, { writeModelCard }] = await importDevOnly('train', () =>
          Promise.all([import('../../training/pipeline.ts'), import('../../training/model-card.ts')]),
        );
        const quick = o.quick === true;
        // A run on your own recordings never overwrites the shipped model or its card.
        const own = o.corpus !== undefined;
        const version =
          o.modelVersion ?? (quick ? 'quick' : own ? CUSTOM_MODEL_VERSION : COMMITTED_MODEL_VERSION);
        const outDir = resolve(
          o.out ?? (quick ? join('.cache', 'model-quick') : join(COMMITTED_MODEL_DIR, '..', version)),
        );
        const t0 = performance.now();
        const log = (m: string) =>
          process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(0)} s] ${m}\n`);
        const dataRoot = resolve(o.data ?? settings.data.root);
        const baselineDir = o.baseline === undefined ? undefined : resolve(o.baseline);
        const result = await runTraining({
          dataRoot,
          outDir,
          version,
          quick,
          baselineDir,
          seed: o.seed,
          own:
            o.corpus === undefined
              ? undefined
              : {
                  root: resolve(o.corpus),
                  labels: o.labels === undefined ? undefined : resolve(o.labels),
                  only: o.corpusOnly === true,
                },
          initDir: o.init === undefined ? undefined : resolve(o.init),
          teacherDir: o.teacher === undefined ? undefined : resolve(o.teacher),
          speakerChannels: speakerHistory(o.speakerChannels),
          speakerFolds: o.speakerFolds === true,
          channels: o.channels,
          pool: o.pool,
          meanFloorDb: o.meanFloor,
          log,
        }).catch((err: Error) => {
          throw new CliError(`train: ${err.message}`, 'FAILED', { cause: err });
        });
        const card = o.card ?? defaultCard({ quick, own, outDir });
        if (card)
          await writeModelCard(card, result.model, outDir, baselineDir ? loadModel(baselineDir) : undefined);
        process.stdout.write(
          `${JSON.stringify({
            model: version,
            dir: outDir,
            firstLoss: result.firstLoss,
            lastLoss: result.lastLoss,
            test: describe(result.evaluation.test),
            testUa: Object.fromEntries(result.evaluation.test.map((e) => [e.corpus, e.utterance.ua])),
          })}\n`,
        );
      },
    );
}

/** `--speaker-channels [history]`: absent, none; bare, 'all'; else the history named. */
function speakerHistory(value: boolean | string | undefined): SpeakerHistory | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true || value === 'all') return 'all';
  if (value === 'neutral') return 'neutral';
  throw new CliError(`--speaker-channels takes 'all' or 'neutral', not '${value}'`, 'USAGE');
}

/**
 * Where `train` writes its card without `--card`: the repository's card only for a full run into
 * models/ (the committed recipe or a successor); a candidate elsewhere, or your own recordings, keep
 * theirs beside the weights so that trying a recipe never rewrites the shipped model's card.
 */
export function defaultCard(run: { quick: boolean; own: boolean; outDir: string }): string | undefined {
  if (run.quick) return undefined;
  const inModels = !run.own && dirname(resolve(run.outDir)) === resolve(COMMITTED_MODEL_DIR, '..');
  return inModels
    ? fileURLToPath(new URL('../../docs/model-card.md', import.meta.url))
    : join(run.outDir, 'model-card.md');
}
