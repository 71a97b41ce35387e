import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeWithCorpus } from '../../test/testing/corpus.ts';
import { countIssues } from './clip.ts';
import { parseTessName, scanTess } from './tess.ts';
import { makeTree } from './testing/tree.ts';

describe('parseTessName', () => {
  it('takes speaker, word and emotion from the name', () => {
    expect(parseTessName('YAF/YAF_dog_disgust.wav')).toEqual({
      ok: true,
      clip: {
        corpus: 'tess',
        path: 'YAF/YAF_dog_disgust.wav',
        speaker: 'YAF',
        label: 'disgust',
        emotion: 'disgust',
        gender: 'f',
        text: 'dog',
      },
    });
  });
  it("keeps 'ps' as pleasant_surprise with a null emotion", () => {
    const r = parseTessName('OAF/OAF_back_ps.wav');
    expect(r.ok && [r.clip.label, r.clip.emotion]).toEqual(['pleasant_surprise', null]);
  });
  it('reads the misnamed OA_bite_neutral.wav as an OAF clip', () => {
    const r = parseTessName('OAF/OA_bite_neutral.wav');
    expect(r.ok && [r.clip.speaker, r.clip.text, r.clip.emotion]).toEqual(['OAF', 'bite', 'neutral']);
  });
  it.each([
    ['OAF/OAF_dog_fear.txt', 'not-wav'],
    ['OAF/OAF_dog.wav', 'malformed'],
    ['OAF/OAF_dog_fear_2.wav', 'malformed'],
    ['OAF/OAF__fear.wav', 'malformed'],
    ['OAF/OAF_dog_calm.wav', 'unknown-code'],
    ['OAF/MAF_dog_fear.wav', 'unknown-code'],
    ['OAF/YAF_dog_fear.wav', 'inconsistent'],
    ['YAF/OA_dog_fear.wav', 'inconsistent'],
  ])('reports %s as %s', (path, code) => {
    const r = parseTessName(path);
    expect(r.ok ? 'ok' : r.issue.code).toBe(code);
  });
});

describe('scanTess on generated names', () => {
  it('loads both speaker folders and counts strays', () => {
    const emotions = ['angry', 'disgust', 'fear', 'happy', 'neutral', 'ps', 'sad'];
    const files = ['OAF', 'YAF'].flatMap((s) =>
      ['dog', 'cat'].flatMap((w) => emotions.map((e) => `${s}/${s}_${w}_${e}.wav`)),
    );
    const root = makeTree([...files, 'OAF/OAF_dog_fear.m4a', 'YAF/YAF dog fear.wav']);
    try {
      const scan = scanTess(root);
      expect(scan.clips).toHaveLength(28);
      expect(scan.clips.filter((c) => c.emotion === null)).toHaveLength(4);
      expect(countIssues(scan.issues)).toEqual({ 'not-wav': 1, malformed: 1 });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describeWithCorpus(
  'scanTess on the real corpus',
  (root) => {
    const scan = scanTess(root);
    it('has 2,798 clips of 200 words by OAF and YAF, missing exactly OAF back/angry and YAF beg/sad', () => {
      expect(scan.issues).toEqual([]);
      expect(scan.clips).toHaveLength(2798);
      expect(new Set(scan.clips.map((c) => c.text)).size).toBe(200);
      const keys = new Set(scan.clips.map((c) => `${c.speaker}/${c.text}/${c.label}`));
      expect(keys.has('OAF/back/angry')).toBe(false);
      expect(keys.has('YAF/beg/sad')).toBe(false);
      expect(keys.has('OAF/bite/neutral')).toBe(true);
      expect(scan.clips.filter((c) => c.speaker === 'OAF')).toHaveLength(1399);
      expect(scan.clips.filter((c) => c.label === 'pleasant_surprise')).toHaveLength(400);
    });
  },
  'tess',
);
