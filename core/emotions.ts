/** The six emotion classes VoicePulse scores, in the fixed order used for model outputs. */
export const EMOTIONS = ['angry', 'disgust', 'fear', 'happy', 'neutral', 'sad'] as const;

export type Emotion = (typeof EMOTIONS)[number];

const EMOTION_SET: ReadonlySet<string> = new Set(EMOTIONS);

export function isEmotion(value: unknown): value is Emotion {
  return typeof value === 'string' && EMOTION_SET.has(value);
}
