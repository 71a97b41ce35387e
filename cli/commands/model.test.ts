import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { writeWav } from '../../core/audio/wav.ts';
import { labelledSplits } from '../../core/corpora/build-splits.ts';
import { scanLabelled } from '../../core/corpora/labelled.ts';
import { EMOTIONS } from '../../core/emotions.ts';
import { COMMITTED_MODEL_DIR, loadModel, saveModel } from '../../core/model/format.ts';
import { randomTdnn } from '../../core/model/testing/tdnn.ts';
import { findCorpus } from '../../test/testing/corpus.ts';
import type { TdnnTrainSettings } from '../../training/train-tdnn.ts';
import { defaultCard, type EvalOutput } from './model.ts';

const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'voicepulse.js');
const execFileAsync = promisify(execFile);

async function voicepulse(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [BIN, ...args], { maxBuffer: 16 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const dir = mkdtempSync(join(tmpdir(), 'vp-model-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A voiced-speech-like glide (different pitch per channel) written as a WAV. */
function speechWav(
  name: string,
  sampleRate: number,
  channels: number,
  seconds: number,
  format: 'pcm16' | 'mulaw' = 'pcm16',
) {
  const data = Array.from({ length: channels }, (_, c) => {
    let phase = 0;
    return Float32Array.from({ length: Math.round(seconds * sampleRate) }, (_, i) => {
      phase += (2 * Math.PI * (110 + 80 * c + 40 * Math.sin(i / sampleRate))) / sampleRate;
      return (
        (0.2 * Math.sin(phase) + 0.1 * Math.sin(2 * phase) + 0.05 * Math.sin(3 * phase)) *
        (0.6 + 0.4 * Math.sin(i / 900))
      );
    });
  });
  const path = join(dir, name);
  writeFileSync(path, writeWav({ sampleRate, channels: data }, format));
  return path;
}

/**
 * Your own labelled recordings: a folder of 8 speakers' WAVs (each a different glide, labels cycling
 * through the six emotions) and a labels.csv whose last row names a missing file. Made once.
 */
const ownRecordings = () => {
  const own = join(dir, 'own');
  if (existsSync(own)) return own;
  mkdirSync(own);
  const rows = ['speaker,file,emotion'];
  for (let s = 0; s < 8; s++) {
    writeFileSync(join(own, `s${s}.wav`), readFileSync(speechWav(`own-${s}.wav`, 8000, 1, 2 + s / 10)));
    rows.push(`S${s},s${s}.wav,${EMOTIONS[s % EMOTIONS.length]!}`);
  }
  rows.push('S9,gone.wav,sad');
  writeFileSync(join(own, 'labels.csv'), `${rows.join('\n')}\n`);
  return own;
};

const sum = (p: Record<string, number>) => EMOTIONS.reduce((s, e) => s + p[e]!, 0);

describe('voicepulse classify', () => {
  it('prints per-window and overall probabilities as JSON for a 16 kHz stereo call, speakers by role', async () => {
    const r = await voicepulse('classify', speechWav('stereo.wav', 16000, 2, 4.5), '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      model: string;
      windows: { start: number; end: number; speaker: string; probs: Record<string, number> }[];
      overall: Record<string, number>;
      speakers: Record<
        string,
        {
          scored: boolean;
          reason?: string;
          mix?: Record<string, number>;
          valence?: number;
          arousal?: number;
          frustration?: { mean: number };
        }
      >;
    };
    expect(Object.keys(out)).toEqual(['model', 'windows', 'overall', 'speakers']);
    expect(out.model).toBe(loadModel().version);
    // Default policy: the agent (left) is not scored, as in live calls.
    expect(new Set(out.windows.map((w) => w.speaker))).toEqual(new Set(['customer']));
    expect(out.speakers.agent).toEqual({
      scored: false,
      reason: expect.stringMatching(/agent emotion scoring is off/),
    });
    const customer = out.speakers.customer!;
    expect(customer.scored).toBe(true);
    expect(sum(customer.mix!)).toBeCloseTo(1, 2);
    expect(customer.valence).toBeGreaterThanOrEqual(-1);
    expect(customer.arousal).toBeGreaterThanOrEqual(0);
    expect(customer.frustration!.mean).toBeGreaterThanOrEqual(0);
    for (const w of out.windows) expect(Object.keys(w)).toEqual(['start', 'end', 'speaker', 'probs']);
    const left = out.windows.filter((w) => w.speaker === 'customer');
    expect(left.map((w) => [w.start, w.end])).toEqual([
      [0, 2],
      [1, 3],
      [2, 4], // the live windows: whole 2 s windows every 1 s; the last 0.5 s completes none
    ]);
    for (const w of out.windows) {
      expect(Object.keys(w.probs).sort()).toEqual([...EMOTIONS].sort());
      expect(sum(w.probs)).toBeCloseTo(1, 2);
    }
    expect(sum(out.overall)).toBeCloseTo(1, 2);
  });

  it('scores the agent where the tenant policy allows it, on the channel it is told', async () => {
    writeFileSync(join(dir, 'policies.json'), JSON.stringify({ acme: { agentEmotionScoring: true } }));
    const r = await voicepulse(
      'classify',
      speechWav('stereo-policy.wav', 8000, 2, 3),
      '--json',
      '--policies',
      join(dir, 'policies.json'),
      '--tenant',
      'acme',
      '--customer-channel',
      'left',
    );
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { speakers: Record<string, { scored: boolean }> };
    expect(out.speakers).toEqual({
      customer: expect.objectContaining({ scored: true }),
      agent: expect.objectContaining({ scored: true }),
    });
  });

  it('prints a readable table by default and honours --window-ms/--hop-ms', async () => {
    const r = await voicepulse(
      'classify',
      speechWav('mono.wav', 8000, 1, 3, 'mulaw'),
      '--window-ms',
      '1000',
      '--hop-ms',
      '1000',
    );
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(5); // three 1 s windows, the speaker's overall, the file's
    expect(lines.at(-2)).toMatch(
      /^customer: \w+ .* valence -?[\d.]+ {2}arousal [\d.]+ {2}frustration [\d.]+/,
    );
    expect(lines.at(-1)).toMatch(/^overall \(.+\): (angry|disgust|fear|happy|neutral|sad) /);
  });

  it('refuses a device (classify /dev/zero) before reading it: one line, exit 3', async () => {
    const r = await voicepulse('classify', '/dev/zero');
    expect(r.code).toBe(3);
    expect(r.stderr).toBe('voicepulse: /dev/zero: a device, not a regular file\n');
  });

  it('fails with a clear message on a missing file, a non-WAV and a bad option', async () => {
    const missing = await voicepulse('classify', join(dir, 'nope.wav'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.wav: no such file/);
    writeFileSync(join(dir, 'text.wav'), 'not a wav file at all');
    const bad = await voicepulse('classify', join(dir, 'text.wav'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/text\.wav: UNKNOWN_FORMAT: not a WAV, MP3, FLAC or Ogg\/Opus file/);
    const opt = await voicepulse('classify', join(dir, 'mono.wav'), '--hop-ms', '-5');
    expect(opt.code).toBe(2);
  });
});

describe('voicepulse eval', () => {
  it('evaluates a labelled folder and prints ua/wa/macro_f1/n/confusion', async () => {
    speechWav('a.wav', 8000, 1, 2.5);
    speechWav('b.wav', 16000, 1, 2);
    writeFileSync(join(dir, 'labels.csv'), 'file,emotion\na.wav,angry\nb.wav,sad\n');
    const r = await voicepulse('eval', '--dir', dir, '--labels', join(dir, 'labels.csv'), '--json');
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as {
      ua: number;
      wa: number;
      macro_f1: number;
      n: number;
      confusion: Record<string, Record<string, number>>;
    };
    expect(out.n).toBe(2);
    expect(out.wa).toBeGreaterThanOrEqual(0);
    expect(out.wa).toBeLessThanOrEqual(1);
    const total = EMOTIONS.reduce((s, t) => s + EMOTIONS.reduce((u, p) => u + out.confusion[t]![p]!, 0), 0);
    expect(total).toBe(2);
    expect(EMOTIONS.reduce((s, p) => s + out.confusion.angry![p]!, 0)).toBe(1);
  });

  it('evaluates one split of your recordings’ speaker-disjoint split, as train --corpus splits them', async () => {
    const own = ownRecordings();
    const split = labelledSplits(scanLabelled(own).clips).protocols.speaker!;
    const r = await voicepulse('eval', '--dir', own, '--split', 'test', '--json');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^eval: skipped line 10 \(gone\.wav\): no such file/);
    expect((JSON.parse(r.stdout) as { n: number }).n).toBe(split.test.length);
    const all = await voicepulse('eval', '--dir', own, '--json');
    expect(all.code, 'without --split every row counts, and a missing file fails').toBe(1);
    const bad = await voicepulse('eval', '--dir', own, '--split', 'holdout');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--split must be one of train, validation, test/);
  });

  it('scores recordings inside calls built from them (--calls), and refuses it without speakers', async () => {
    const own = ownRecordings();
    const alone = JSON.parse(
      (await voicepulse('eval', '--dir', own, '--split', 'test', '--json')).stdout,
    ) as {
      n: number;
      confusion: unknown;
    };
    for (const mode of ['single', 'mixed']) {
      const r = await voicepulse('eval', '--dir', own, '--split', 'test', '--calls', mode, '--json');
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as {
        n: number;
        calls: { mode: string; n: number; first_window_ua?: number };
      };
      expect(out.n).toBe(alone.n);
      expect(out.calls.mode).toBe(mode);
      // One speaker, one emotion each: as many calls as test speakers either way.
      expect(out.calls.n).toBe(alone.n);
      expect(out.calls.first_window_ua === undefined).toBe(mode === 'mixed');
    }
    const unnamed = await voicepulse(
      'eval',
      '--dir',
      dir,
      '--labels',
      join(dir, 'labels.csv'),
      '--calls',
      'single',
    );
    expect(unnamed.code).toBe(2);
    expect(unnamed.stderr).toMatch(/--calls needs a speaker for every recording/);
    const bad = await voicepulse('eval', '--dir', own, '--calls', 'sometimes');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--calls must be one of single, mixed/);
  });

  it('compares with another model on the same recordings (--against): the UA difference and its interval', async () => {
    const own = ownRecordings();
    const committed = loadModel();
    const other = join(dir, 'other-model');
    saveModel(
      {
        ...randomTdnn(committed.network, 'against', { members: 1, version: 'other' }),
        frontend: committed.frontend,
      },
      other,
    );
    const run = async (...extra: string[]) => {
      const r = await voicepulse('eval', '--dir', own, '--split', 'test', '--json', ...extra);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as EvalOutput;
    };
    const mine = await run();
    const self = (await run('--against', resolve('models', committed.version))).against!;
    expect(self).toEqual({
      model: committed.version,
      ua: mine.ua,
      ua_diff: 0,
      ci95: [0, 0],
      right_only_here: 0,
      right_only_there: 0,
    });
    const theirs = await run('--model', other);
    const vs = (await run('--against', other)).against!;
    expect(vs.model).toBe('other');
    expect(vs.ua).toBe(theirs.ua);
    expect(vs.ua_diff).toBeCloseTo(mine.ua - theirs.ua, 3);
    expect(vs.ci95[0]).toBeLessThanOrEqual(vs.ua_diff);
    expect(vs.ci95[1]).toBeGreaterThanOrEqual(vs.ua_diff);
    const right = (out: typeof mine) => EMOTIONS.reduce((s, e) => s + out.confusion[e]![e]!, 0);
    expect(vs.right_only_here - vs.right_only_there).toBe(right(mine) - right(theirs));
  });

  it('rejects labels outside the six classes', async () => {
    writeFileSync(join(dir, 'bad.csv'), 'a.wav,surprise\n');
    const r = await voicepulse('eval', '--dir', dir, '--labels', join(dir, 'bad.csv'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/surprise.*not one of/);
  });
});

describe('voicepulse train on your own recordings', () => {
  it('trains on them alone, speaker-disjoint, and tests on their held-out speakers', {
    timeout: 240_000,
  }, async () => {
    const own = ownRecordings();
    const out = join(dir, 'own-model');
    const r = await voicepulse(
      'train',
      '--quick',
      '--corpus',
      own,
      '--corpus-only',
      '--out',
      out,
      '--seed',
      'ci',
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('custom');
    const summary = JSON.parse(r.stdout) as { testUa: Record<string, number> };
    expect(Object.keys(summary.testUa)).toEqual(['custom']);
    const split = labelledSplits(scanLabelled(own).clips).protocols.speaker!;
    if (split.kind === 'cross-speaker') throw new Error('expected a speaker split');
    const data = loadModel(out).metadata.data as Record<string, Record<string, number>>;
    expect(data).toEqual({
      custom: { train: split.train.length, validation: split.validation.length, test: split.test.length },
    });
  });

  it('refuses --corpus-only and --labels without --corpus', async () => {
    const r = await voicepulse('train', '--quick', '--corpus-only');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--labels and --corpus-only need --corpus <dir>/);
  });

  it('refuses --speaker-folds without --speaker-channels', async () => {
    const r = await voicepulse('train', '--quick', '--speaker-folds');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--speaker-folds needs --speaker-channels/);
  });

  it("refuses a speaker history other than 'all' or 'neutral'", async () => {
    const r = await voicepulse('train', '--quick', '--speaker-channels', 'loud');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--speaker-channels takes 'all' or 'neutral', not 'loud'/);
  });
});

const data = findCorpus();
describe.skipIf(data === undefined)('voicepulse train --quick', () => {
  const quick = async (out: string) => {
    const r = await voicepulse('train', '--quick', '--data', data!, '--out', out, '--seed', 'ci');
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout) as { firstLoss: number; lastLoss: number; testUa: Record<string, number> };
  };
  const sameWeights = (a: string, b: string) =>
    readFileSync(join(a, 'weights.bin')).equals(readFileSync(join(b, 'weights.bin')));

  it('trains a tiny TDNN whose loss falls, whose test accuracy beats chance, reproducibly', {
    timeout: 240_000,
  }, async () => {
    const out = join(dir, 'quick-tdnn');
    const summary = await quick(out);
    expect(summary.lastLoss).toBeLessThan(summary.firstLoss);
    const uas = Object.values(summary.testUa);
    expect(uas.reduce((a, b) => a + b, 0) / uas.length).toBeGreaterThan(1 / 6 + 0.1);
    expect(loadModel(out).members).toHaveLength(1);
    await quick(join(dir, 'quick-tdnn-again'));
    expect(sameWeights(out, join(dir, 'quick-tdnn-again'))).toBe(true);
  });

  it("trains speaker channels on v4's four speaker folds: one model, four members, one prior with its gate", {
    timeout: 240_000,
  }, async () => {
    const out = join(dir, 'quick-folds');
    const r = await voicepulse(
      'train',
      '--quick',
      '--data',
      data!,
      '--out',
      out,
      '--seed',
      'ci',
      '--speaker-channels',
      'neutral',
      '--speaker-folds',
    );
    // Members with priors of their own would not join (training/ensemble.ts).
    expect(r.code, r.stderr).toBe(0);
    const model = loadModel(out);
    expect(model.members).toHaveLength(4);
    expect(model.speakerPrior?.neutralGate).toBe(0.5);
    const { priorMean } = (model.metadata.settings as TdnnTrainSettings).speakerNorm!;
    expect(Array.from(model.speakerPrior!.mean)).toEqual(Array.from(Float32Array.from(priorMean!)));
  });
});

describe('voicepulse train: where the card goes', () => {
  const repoCard = resolve(COMMITTED_MODEL_DIR, '..', '..', 'docs', 'model-card.md');
  it('rewrites the repository card only for a full run into models/', () => {
    const next = resolve(COMMITTED_MODEL_DIR, '..', 'emotion-tdnn-next');
    expect(defaultCard({ quick: false, own: false, outDir: COMMITTED_MODEL_DIR })).toBe(repoCard);
    expect(defaultCard({ quick: false, own: false, outDir: next })).toBe(repoCard);
    // A candidate trained elsewhere keeps its card beside its weights.
    expect(defaultCard({ quick: false, own: false, outDir: '.cache/candidate' })).toBe(
      join('.cache/candidate', 'model-card.md'),
    );
    expect(defaultCard({ quick: false, own: true, outDir: next })).toBe(join(next, 'model-card.md'));
    expect(defaultCard({ quick: true, own: false, outDir: COMMITTED_MODEL_DIR })).toBeUndefined();
  });
});
