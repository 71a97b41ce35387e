import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { discoverRecordings } from './discover.ts';
import { channelRoles } from './roles.ts';

const dir = mkdtempSync(join(tmpdir(), 'vp-discover-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
for (const f of ['a.wav', 'b.MP3', 'notes.txt', 'deep/er/c.flac', 'deep/d.opus', 'x.data']) {
  mkdirSync(join(dir, f, '..'), { recursive: true });
  writeFileSync(join(dir, f), '');
}

describe('discoverRecordings', () => {
  it('takes files as named, folders recursively (audio extensions) and globs, each once, in order', async () => {
    const found = await discoverRecordings(['deep', 'x.data', '*.wav', 'a.wav', 'none.wav', 'z*.mp3'], dir);
    expect(found.files).toEqual(
      ['a.wav', 'deep/d.opus', 'deep/er/c.flac', 'x.data'].map((f) => join(dir, f)),
    );
    expect(found.missing).toEqual(['none.wav', 'z*.mp3']);
    expect((await discoverRecordings([dir])).files).toHaveLength(4);
  });
});

describe('channelRoles', () => {
  it('puts the customer on the right by default, on the left when told, and a mono speaker where told', () => {
    expect(channelRoles(2)).toEqual(['agent', 'customer']);
    expect(channelRoles(2, { customerChannel: 'left' })).toEqual(['customer', 'agent']);
    expect(channelRoles(1)).toEqual(['customer']);
    expect(channelRoles(1, { monoSpeaker: 'agent' })).toEqual(['agent']);
    expect(() => channelRoles(4)).toThrow(/^TOO_MANY_CHANNELS/);
  });
});
