import { describe, expect, it } from 'vitest';
import { ConfigCache } from './cache.ts';

describe('ConfigCache', () => {
  it('builds once per key and hands the same value back', () => {
    const cache = new ConfigCache<{ key: string }>();
    let builds = 0;
    const build = (key: string) => () => {
      builds++;
      return { key };
    };
    const a = cache.get('256/200', build('256/200'));
    expect(cache.get('256/200', build('256/200'))).toBe(a);
    expect(cache.get('512/512', build('512/512'))).not.toBe(a);
    expect(builds).toBe(2);
  });

  it('holds at most `limit` values, dropping the one built longest ago', () => {
    const cache = new ConfigCache<number>(2);
    let builds = 0;
    const get = (key: string) => cache.get(key, () => ++builds);
    get('a');
    get('b');
    get('c');
    expect(cache.size).toBe(2);
    expect(get('b')).toBe(2);
    expect(get('c')).toBe(3);
    expect(get('a')).toBe(4); // rebuilt
  });
});
