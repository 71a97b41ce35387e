// The frame features the shipped model was trained on must not move: every value of melProsody and
// frameDescriptors, bit for bit, on speech-like, silent, threshold-crossing and real corpus audio.
// The digests were computed by the frontend of commit e43885d, before it was made faster; change them
// only together with a retrained model.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeWithCorpus } from '../../test/testing/corpus.ts';
import { readWavFile } from '../audio/wav.ts';
import type { FeatureMatrix } from '../features/matrix.ts';
import { seededRandom } from '../random.ts';
import { concat, silence, speechLike, voiced } from '../streaming/testing/synthetic.ts';
import { DEFAULT_FRONTEND, descriptorRows, frameDescriptors, melProsody } from './frontend.ts';

/** Uniform noise whose level glides from `fromDb` to `toDb` dBFS (the pitch tracker's energy floor is near -60). */
function levelSweep(seconds: number, fromDb = -90, toDb = -30): Float32Array {
  const random = seededRandom('level sweep');
  const n = seconds * 8000;
  return Float32Array.from(
    { length: n },
    (_, i) => 10 ** ((fromDb + ((toDb - fromDb) * i) / n) / 20) * 3.4 * (random() - 0.5),
  );
}

const SIGNALS: Record<string, () => Float32Array> = {
  'speechLike, one 2 s window': () => speechLike(2),
  'speechLike, an odd length off the hop grid': () => speechLike(6).subarray(3001),
  'voiced turns, digital silence and a level sweep': () =>
    concat(
      silence(300),
      voiced(700),
      silence(250),
      voiced(500, { f0: 220, amplitude: 0.02, seed: 3 }),
      levelSweep(2),
    ),
  'level sweep through the energy floor': () => levelSweep(4),
  // Frame energies scatter by about 10 % around the floor: some land within a fraction of a percent.
  'noise at the energy floor': () => levelSweep(3, -60.5, -59.5),
  'one FFT frame': () => speechLike(1).subarray(0, DEFAULT_FRONTEND.nFft),
};

const CLIPS = [
  'ravdess/Actor_01/03-01-01-01-01-01-01.wav',
  'ravdess/Actor_04/03-01-05-02-01-01-04.wav',
  'tess/YAF/YAF_back_angry.wav',
  'tess/OAF/OAF_back_fear.wav',
  'emovo/m1/rab-m1-b1.wav',
  'urdu/Angry/SM1_F10_A010.wav',
];

type Digests = Record<'logMel' | 'mfcc' | 'energy' | 'f0' | 'voicing' | 'melProsody', string>;

const EXPECTED: Record<string, Digests> = {
  'speechLike, one 2 s window': {
    logMel: '4b56044a443df1b4',
    mfcc: '5f97703da3a28153',
    energy: '18bc93d1ea6432cb',
    f0: '772534b4ecfe550e',
    voicing: '5a91001e92679c1a',
    melProsody: 'e0cff5cb6b578a2c',
  },
  'speechLike, an odd length off the hop grid': {
    logMel: 'ec2f88b740739fb1',
    mfcc: '1d43040f8bf174c2',
    energy: 'b0e6d552d8096889',
    f0: 'c256b8d5e90c7393',
    voicing: 'a01604714a643618',
    melProsody: '3225c9248bd14b39',
  },
  'voiced turns, digital silence and a level sweep': {
    logMel: '9955351aa0dcec3a',
    mfcc: 'a3a8a8a8c2add789',
    energy: '777422110488b15b',
    f0: '291b73268dbdb269',
    voicing: '1835b6d386f5bf16',
    melProsody: 'ebde3bb53c92df30',
  },
  'level sweep through the energy floor': {
    logMel: '7f4d1ddc6609ad02',
    mfcc: 'd343c42bc70bc467',
    energy: '30d08f0cec9cd9ed',
    f0: 'c7570c208aaf8bcd',
    voicing: '4e3e25c343537021',
    melProsody: '357dd08eb74dadcf',
  },
  'noise at the energy floor': {
    logMel: '7d44cde432b3e85b',
    mfcc: '27b438ffc2428254',
    energy: '049268349bff7d20',
    f0: '3b17f8b83bec3e72',
    voicing: 'e4e236166efb0e0a',
    melProsody: 'c5988e4af489df8c',
  },
  'one FFT frame': {
    logMel: 'f20bcf7737739d67',
    mfcc: '25a7e498bba9f6af',
    energy: '4cb96620467bdf95',
    f0: '374708fff7719dd5',
    voicing: 'd09fe81d1bf22a56',
    melProsody: 'e61c75bde8732103',
  },
  'ravdess/Actor_01/03-01-01-01-01-01-01.wav': {
    logMel: 'ad62713b10ba1b4d',
    mfcc: 'a7629208a8ac79af',
    energy: 'fc5fa445698b0917',
    f0: '8b6bcec10bd7ba92',
    voicing: '466432735f03ef41',
    melProsody: '26ca150c89f4fc82',
  },
  'ravdess/Actor_04/03-01-05-02-01-01-04.wav': {
    logMel: 'a3e329175057e044',
    mfcc: '32d4f43c0caac2d0',
    energy: '668257f3dde67998',
    f0: 'f530538da99907c7',
    voicing: '1a0a22698f26eb2c',
    melProsody: '463bf755acaecb6d',
  },
  'tess/YAF/YAF_back_angry.wav': {
    logMel: '42d9620af4485efc',
    mfcc: '951fb300bab9e2be',
    energy: '4b6330db1cf4d41c',
    f0: 'be5815d78c29d6fa',
    voicing: '471c9b00fe2547a6',
    melProsody: '04a52ad2e48276c0',
  },
  'tess/OAF/OAF_back_fear.wav': {
    logMel: 'f937e02e464bda5f',
    mfcc: '0678211d1f588d8a',
    energy: '4a7410784b9ae243',
    f0: 'b310f6ed8435c671',
    voicing: 'b7b98d2cda8b0923',
    melProsody: '39b4ffcb5797f71c',
  },
  'emovo/m1/rab-m1-b1.wav': {
    logMel: 'cc6000f3acecb4a8',
    mfcc: '3864364b2ef7484d',
    energy: '544082bcbd79c543',
    f0: '3470d2fe56c024d5',
    voicing: '38a10006e5a73eed',
    melProsody: '734a5b656debd3b0',
  },
  'urdu/Angry/SM1_F10_A010.wav': {
    logMel: '29fdb975fb1be4b5',
    mfcc: '5c783aa5ab16da53',
    energy: 'b401e18185a00070',
    f0: '17d7d0d5386ec9bb',
    voicing: 'dbfe631109446c19',
    melProsody: '69935cdbff86138c',
  },
};

function digest(m: FeatureMatrix, fromRow = 0, toRow = m.rows): string {
  const rows = m.data.subarray(fromRow * m.cols, toRow * m.cols);
  return createHash('sha256')
    .update(new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength))
    .digest('hex')
    .slice(0, 16);
}

function digests(x: Float32Array): Digests {
  const all = frameDescriptors(x);
  const r = descriptorRows(DEFAULT_FRONTEND);
  return {
    logMel: digest(all, r.mel, r.mfcc),
    mfcc: digest(all, r.mfcc, r.energy),
    energy: digest(all, r.energy, r.f0),
    f0: digest(all, r.f0, r.voicing),
    voicing: digest(all, r.voicing, r.rows),
    melProsody: digest(melProsody(x)),
  };
}

describe('frame features equal those the model was trained on', () => {
  for (const [name, signal] of Object.entries(SIGNALS)) {
    it(name, () => expect(digests(signal())).toEqual(EXPECTED[name]));
  }
});

describeWithCorpus('frame features of corpus clips equal those the model was trained on', (root) => {
  for (const clip of CLIPS) {
    it(clip, async () => {
      const audio = await readWavFile(join(root, clip));
      expect(digests(audio.channels[0]!)).toEqual(EXPECTED[clip]);
    });
  }
});
