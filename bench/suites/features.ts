// Throughput of the product's features (TELEPHONY_FEATURES log-mel + MFCC at 8 kHz) on one thread,
// in multiples of real time, next to two straightforward baselines measured in the same run.
import meyda from 'meyda';
import { TELEPHONY_FEATURES as CONFIG } from '../../core/features/config.ts';
import { extractLogMelMfcc } from '../../core/features/logmel-mfcc.ts';
import { melFilterbank, melFilterbankMatrix } from '../../core/features/mel.ts';
import { frameCount, readFrame } from '../../core/features/stft.ts';
import { StreamingFeatureExtractor } from '../../core/features/streaming.ts';
import { stftWindow } from '../../core/features/window.ts';
import { DEFAULT_FRONTEND, melProsody } from '../../core/model/frontend.ts';
import { trackPitch } from '../../core/model/pitch.ts';
import type { BenchSuite, Timing } from '../harness.ts';
import { measure, speechLikeAudio } from '../harness.ts';

const TARGET = 2000;
// meyda's typings declare an ES default export; its CommonJS build's module.exports is that object.
const Meyda = meyda as unknown as typeof meyda.default;

/**
 * The textbook version: per frame an O(N^2) DFT (twiddles precomputed), dense mel matrix, log10,
 * dense DCT, fresh arrays each frame. Same frames and outputs as the product path.
 */
function naiveLogMelMfcc(y: Float32Array): Float32Array[] {
  const { nFft, hopLength, center, nMels, nMfcc } = CONFIG;
  const bins = nFft / 2 + 1;
  const window = stftWindow(CONFIG.winLength, nFft);
  const mel = melFilterbankMatrix(melFilterbank({ ...CONFIG })).data;
  const cos = new Float64Array(bins * nFft);
  const sin = new Float64Array(bins * nFft);
  for (let k = 0; k < bins; k++) {
    for (let n = 0; n < nFft; n++) {
      cos[k * nFft + n] = Math.cos((2 * Math.PI * k * n) / nFft);
      sin[k * nFft + n] = Math.sin((2 * Math.PI * k * n) / nFft);
    }
  }
  const out: Float32Array[] = [];
  const frame = new Float64Array(nFft);
  for (let t = 0; t < frameCount(y.length, nFft, hopLength, center); t++) {
    readFrame(y, t, hopLength, center, frame);
    const power = new Float64Array(bins);
    for (let k = 0; k < bins; k++) {
      let re = 0;
      let im = 0;
      for (let n = 0; n < nFft; n++) {
        const x = frame[n]! * window[n]!;
        re += x * cos[k * nFft + n]!;
        im -= x * sin[k * nFft + n]!;
      }
      power[k] = re * re + im * im;
    }
    const logMel = new Float64Array(nMels);
    for (let m = 0; m < nMels; m++) {
      let acc = 0;
      for (let k = 0; k < bins; k++) acc += mel[m * bins + k]! * power[k]!;
      logMel[m] = 10 * Math.log10(Math.max(CONFIG.amin, acc));
    }
    const mfcc = new Float32Array(nMfcc);
    for (let k = 0; k < nMfcc; k++) {
      let acc = 0;
      for (let n = 0; n < nMels; n++) acc += logMel[n]! * Math.cos((Math.PI * k * (2 * n + 1)) / (2 * nMels));
      mfcc[k] = acc * Math.sqrt((k === 0 ? 1 : 2) / nMels);
    }
    out.push(Float32Array.from(logMel), mfcc);
  }
  return out;
}

/** Meyda's per-frame extractor (its own windowing, FFT, mel bank and DCT) over the same frames. */
function meydaMfcc(y: Float32Array): number[][] {
  const { nFft, hopLength, center } = CONFIG;
  Meyda.bufferSize = nFft;
  Meyda.sampleRate = CONFIG.sr;
  Meyda.melBands = CONFIG.nMels;
  Meyda.numberOfMFCCCoefficients = CONFIG.nMfcc;
  Meyda.windowingFunction = 'hanning';
  const out: number[][] = [];
  const frame = new Float64Array(nFft);
  for (let t = 0; t < frameCount(y.length, nFft, hopLength, center); t++) {
    readFrame(y, t, hopLength, center, frame);
    out.push(Meyda.extract('mfcc', Float32Array.from(frame)) as unknown as number[]);
  }
  return out;
}

function streamed(y: Float32Array, chunk: number): void {
  const s = new StreamingFeatureExtractor(CONFIG);
  for (let i = 0; i < y.length; i += chunk) s.push(y.subarray(i, i + chunk));
  s.flush();
}

export const featuresSuite: BenchSuite = {
  name: 'features',
  description: `log-mel + MFCC (TELEPHONY_FEATURES, 8 kHz), one thread, × real time (target ≥ ${TARGET}×)`,
  run() {
    const long = speechLikeAudio(60, CONFIG.sr);
    const short = speechLikeAudio(5, CONFIG.sr);
    // The live path's unit: a 2 s window at a time, so per-call set-up counts as it does there.
    const windows = Array.from({ length: 30 }, (_, i) =>
      long.subarray(i * 2 * CONFIG.sr, (i + 1) * 2 * CONFIG.sr),
    );
    const cases: { name: string; seconds: number; time: Timing }[] = [
      {
        name: 'voicepulse batch (extractLogMelMfcc)',
        seconds: 60,
        time: measure(() => extractLogMelMfcc(long, CONFIG)),
      },
      {
        name: 'model frontend (log-mel + energy + F0, melProsody)',
        seconds: 60,
        time: measure(() => melProsody(long, DEFAULT_FRONTEND)),
      },
      {
        name: 'model frontend, one 2 s window at a time',
        seconds: 60,
        time: measure(() => {
          for (const w of windows) melProsody(w, DEFAULT_FRONTEND);
        }),
      },
      {
        name: 'of which pitch tracker (F0 + voicing)',
        seconds: 60,
        time: measure(() =>
          trackPitch(long, {
            sr: DEFAULT_FRONTEND.sr,
            hopLength: DEFAULT_FRONTEND.hopLength * DEFAULT_FRONTEND.pitchStride,
          }),
        ),
      },
      { name: 'voicepulse streaming, 20 ms chunks', seconds: 60, time: measure(() => streamed(long, 160)) },
      { name: 'voicepulse streaming, 1 s chunks', seconds: 60, time: measure(() => streamed(long, 8000)) },
      { name: 'baseline: meyda per-frame mfcc', seconds: 5, time: measure(() => meydaMfcc(short)) },
      {
        name: 'baseline: naive O(N²) DFT',
        seconds: 5,
        time: measure(() => naiveLogMelMfcc(short), { minRuns: 3 }),
      },
    ];
    const speed = (c: (typeof cases)[number], ms: number) => (1000 * c.seconds) / ms;
    const meyda = cases.find((c) => c.name.startsWith('baseline: meyda'))!;
    const fmt = (x: number) => `${x.toFixed(0)}×`;
    return {
      columns: ['case', 'audio s', 'runs', 'best ms', 'median ms', 'best', 'median', 'vs meyda'],
      rows: cases.map((c) => [
        c.name,
        String(c.seconds),
        String(c.time.runs),
        c.time.bestMs.toFixed(1),
        c.time.medianMs.toFixed(1),
        fmt(speed(c, c.time.bestMs)),
        fmt(speed(c, c.time.medianMs)),
        `${(speed(c, c.time.bestMs) / speed(meyda, meyda.time.bestMs)).toFixed(1)}x`,
      ]),
      notes: [
        `× real time = seconds of 8 kHz audio processed per second on one thread (Node ${process.version}).`,
      ],
      verdicts: cases
        .filter((c) => c.name.startsWith('voicepulse'))
        .map((c) => ({
          label: c.name,
          ok: speed(c, c.time.bestMs) >= TARGET,
          detail: `${fmt(speed(c, c.time.bestMs))} best, ${fmt(speed(c, c.time.medianMs))} median (target ≥ ${TARGET}×)`,
        })),
    };
  },
};
