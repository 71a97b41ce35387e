// The two-speaker demo call `npm start` and `voicepulse simulate` play: a calm agent and a customer
// who turns angry, built from the RAVDESS clips committed in clients/demo/ (attribution and licence
// in its README), so a fresh clone needs no corpus. Both actors are in RAVDESS's held-out test split
// (core/corpora/splits.json), so the committed model never trained on these voices. Each turn plays
// on its speaker's track while the other is silent.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { concat, silence } from '../core/audio/samples.ts';
import { readWavFile } from '../core/audio/wav.ts';
import type { SpeakerRole } from '../core/events/schema.ts';

export const DEMO_DIR = fileURLToPath(new URL('./demo/', import.meta.url));

export interface TwoSpeakerCall {
  customer: Float32Array;
  agent: Float32Array;
  /** Where the audio comes from, for reports. */
  source: 'ravdess';
  /** One line per turn: when it starts, who speaks, and what the actor performed (the demo's narration). */
  turns: Array<{ atMs: number; speaker: SpeakerRole; what: string }>;
}

/** Actor 01 (male) is the customer, actor 04 (female) the agent. */
const ACTOR: Record<SpeakerRole, string> = { customer: '01', agent: '04' };

type Turn = [SpeakerRole, mood: 'neutral' | 'angry', statement: 1 | 2, repetition: 1 | 2];
const SCRIPT: Turn[] = [
  ['agent', 'neutral', 1, 1],
  ['customer', 'neutral', 1, 1],
  ['agent', 'neutral', 2, 1],
  ['customer', 'angry', 1, 1],
  ['customer', 'angry', 2, 1],
  ['agent', 'neutral', 1, 2],
  ['customer', 'angry', 1, 2],
  ['customer', 'angry', 2, 2],
  ['customer', 'angry', 1, 1],
  ['agent', 'neutral', 2, 2],
];
const GAP_MS = 300;

/** RAVDESS name of a turn's clip: 03-01-EE-II-SS-RR-AA (angry at strong intensity, neutral at normal). */
export function demoClipName([speaker, mood, statement, rep]: Turn): string {
  const actor = ACTOR[speaker];
  const emotion = mood === 'angry' ? '05' : '01';
  const intensity = mood === 'angry' ? '02' : '01';
  return `03-01-${emotion}-${intensity}-0${statement}-0${rep}-${actor}.wav`;
}

/** Every clip the script plays (each once, in first-use order). */
export const DEMO_CLIPS: readonly string[] = [...new Set(SCRIPT.map(demoClipName))];

export async function demoCall(dir: string = DEMO_DIR): Promise<TwoSpeakerCall> {
  const parts: Record<SpeakerRole, Float32Array[]> = { customer: [], agent: [] };
  const turns: TwoSpeakerCall['turns'] = [];
  let atMs = 0;
  for (const turn of SCRIPT) {
    const audio = (await readWavFile(join(dir, demoClipName(turn)))).channels[0]!;
    const [speaker, mood] = turn;
    const other: SpeakerRole = speaker === 'customer' ? 'agent' : 'customer';
    const gap = silence(GAP_MS);
    parts[speaker].push(audio, gap);
    parts[other].push(new Float32Array(audio.length), gap);
    turns.push({ atMs, speaker, what: `acted ${mood} (RAVDESS ${demoClipName(turn)})` });
    atMs += Math.round(audio.length / 8 + GAP_MS);
  }
  return { customer: concat(...parts.customer), agent: concat(...parts.agent), source: 'ravdess', turns };
}
