// Synthetic recorded calls for tests and the analyze benchmark: two speakers taking turns (speech
// on one channel while the other is near-silent), written as the WAV or MP3 a recorder would keep.
import { writeWav } from '../../audio/wav.ts';
import { seededRandom } from '../../random.ts';
import { voiced } from '../../streaming/testing/synthetic.ts';

export interface SyntheticCall {
  /** 8 kHz channels: [agent (left), customer (right)]. */
  channels: [Float32Array, Float32Array];
  sampleRate: 8000;
}

/**
 * A stereo call of `seconds`: turns of `turnMs` alternate between the agent (left) and the customer
 * (right), each speaker silent but for faint line noise while the other talks; `customerLoud` makes
 * the customer's voice louder and higher (scores differ from the agent's).
 */
export function syntheticCall(seconds: number, opts: { seed?: number; turnMs?: number } = {}): SyntheticCall {
  const seed = opts.seed ?? 1;
  const turn = Math.round(((opts.turnMs ?? 6000) * 8000) / 1000);
  const n = seconds * 8000;
  const agent = new Float32Array(n);
  const customer = new Float32Array(n);
  const agentVoice = voiced(turn / 8, { f0: 120, amplitude: 0.25, seed });
  const customerVoice = voiced(turn / 8, { f0: 210, amplitude: 0.45, seed: seed + 7 });
  const random = seededRandom(`recording noise ${seed}`);
  for (let i = 0; i < n; i++) {
    const noise = 0.002 * (random() - 0.5);
    const k = Math.floor(i / turn);
    const j = i % turn;
    agent[i] = noise + (k % 2 === 0 ? agentVoice[j]! : 0);
    customer[i] = -noise + (k % 2 === 1 ? customerVoice[j]! : 0);
  }
  return { channels: [agent, customer], sampleRate: 8000 };
}

/** The call as an 8 kHz stereo µ-law WAV (what contact-centre recorders keep). */
export function callWav(call: SyntheticCall): Uint8Array {
  return writeWav(call, 'mulaw');
}

/** LAME's delay at the start of every MP3 it writes without a gapless header (samples). */
export const LAME_DELAY = 1105;

/** `channels` as MP3 (LAME through wasm-media-encoders; a dev dependency: tests and the bench only). */
export async function encodeMp3(
  channels: Float32Array[],
  sampleRate: number,
  kbps = 32,
): Promise<Uint8Array> {
  const { createMp3Encoder } = await import('wasm-media-encoders');
  const encoder = await createMp3Encoder();
  encoder.configure({
    sampleRate: sampleRate as 8000,
    channels: channels.length as 1 | 2,
    bitrate: kbps as 32,
  });
  const parts: Uint8Array[] = [];
  const block = 1 << 16;
  for (let at = 0; at < channels[0]!.length; at += block)
    parts.push(encoder.encode(channels.map((c) => c.subarray(at, at + block))).slice());
  parts.push(encoder.finalize().slice());
  return Buffer.concat(parts);
}

/** Signal-to-noise ratio (dB) of `x` against `ref` over their overlap, `x` shifted by `lag` samples. */
export function snrDb(ref: Float32Array, x: Float32Array, lag = 0, skip = 0): number {
  let signal = 0;
  let noise = 0;
  for (let i = skip; i < ref.length - skip; i++) {
    const y = x[i + lag];
    if (y === undefined) break;
    signal += ref[i]! ** 2;
    noise += (y - ref[i]!) ** 2;
  }
  return 10 * Math.log10(signal / noise);
}
