// The two-speaker demo call: a neutral agent and a customer who turns angry, built from RAVDESS
// clips when the corpus is present (actor 01 as the customer, actor 02 as the agent), else from
// synthetic speech-like audio. Each turn plays on its speaker's track while the other is silent.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readWavFile } from '../core/audio/wav.ts';
import type { SpeakerRole } from '../core/events/schema.ts';
import { concat, silence, voiced } from '../core/streaming/testing/synthetic.ts';

export interface TwoSpeakerCall {
  customer: Float32Array;
  agent: Float32Array;
  source: 'ravdess' | 'synthetic';
  /** One line per turn: when it starts, who speaks, and what (for the demo's narration). */
  turns: Array<{ atMs: number; speaker: SpeakerRole; what: string }>;
}

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

/** RAVDESS file of a turn: 03-01-EE-II-SS-RR-AA (angry at strong intensity). */
function ravdessPath(root: string, [speaker, mood, statement, rep]: Turn): string {
  const actor = speaker === 'customer' ? '01' : '02';
  const emotion = mood === 'angry' ? '05' : '01';
  const intensity = mood === 'angry' ? '02' : '01';
  return join(
    root,
    'ravdess',
    `Actor_${actor}`,
    `03-01-${emotion}-${intensity}-0${statement}-0${rep}-${actor}.wav`,
  );
}

function syntheticTurn([speaker, mood, statement, rep]: Turn): Float32Array {
  const seed = statement * 3 + rep;
  if (speaker === 'agent') return voiced(2500, { f0: 200, amplitude: 0.25, seed });
  return mood === 'angry'
    ? voiced(3000, { f0: 210, amplitude: 0.8, seed })
    : voiced(2500, { f0: 120, amplitude: 0.3, seed });
}

export async function demoCall(dataRoot: string | undefined): Promise<TwoSpeakerCall> {
  const useCorpus = dataRoot !== undefined && SCRIPT.every((t) => existsSync(ravdessPath(dataRoot, t)));
  const parts: Record<SpeakerRole, Float32Array[]> = { customer: [], agent: [] };
  const turns: TwoSpeakerCall['turns'] = [];
  let atMs = 0;
  for (const turn of SCRIPT) {
    const audio = useCorpus
      ? (await readWavFile(ravdessPath(dataRoot!, turn))).channels[0]!
      : syntheticTurn(turn);
    const [speaker, mood] = turn;
    const other: SpeakerRole = speaker === 'customer' ? 'agent' : 'customer';
    const gap = silence(GAP_MS);
    parts[speaker].push(audio, gap);
    parts[other].push(new Float32Array(audio.length), gap);
    turns.push({
      atMs,
      speaker,
      what: useCorpus ? `${mood} (${ravdessPath('', turn)})` : `${mood} (synthetic)`,
    });
    atMs += Math.round(audio.length / 8 + GAP_MS);
  }
  return {
    customer: concat(...parts.customer),
    agent: concat(...parts.agent),
    source: useCorpus ? 'ravdess' : 'synthetic',
    turns,
  };
}
