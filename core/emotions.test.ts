import { describe, expect, it } from 'vitest';
import { EMOTIONS, isEmotion } from './emotions.ts';

describe('EMOTIONS', () => {
  it('lists the six classes in the agreed order', () => {
    expect(EMOTIONS).toEqual(['angry', 'disgust', 'fear', 'happy', 'neutral', 'sad']);
  });
  it('isEmotion accepts exactly those six', () => {
    for (const e of EMOTIONS) expect(isEmotion(e)).toBe(true);
    for (const v of ['calm', 'surprise', 'Angry', '', null, undefined, 3, ['angry']])
      expect(isEmotion(v)).toBe(false);
  });
});
