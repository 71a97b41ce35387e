import { describe, expect, it } from 'vitest';
import { bearerToken, requestToken } from './bearer.ts';

describe('bearerToken', () => {
  it('reads the Bearer scheme in any case and nothing else', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer abc ')).toBe('abc');
    expect(bearerToken('BEARER   abc')).toBe('abc');
    for (const bad of [undefined, '', 'Bearer', 'Bearer ', 'Basic abc', 'Bearer a b', 'abc'])
      expect(bearerToken(bad)).toBeUndefined();
  });
});

describe('requestToken', () => {
  const url = (q = '') => new URL(`http://x/stream${q}`);

  it('prefers the Authorization header, then X-API-KEY, then ?token=', () => {
    const all = { authorization: 'Bearer h', 'x-api-key': 'k' };
    expect(requestToken(all, url('?token=q'))).toBe('h');
    expect(requestToken({ 'x-api-key': 'k' }, url('?token=q'))).toBe('k');
    expect(requestToken({ authorization: 'Basic zzz' }, url('?token=q'))).toBe('q');
    expect(requestToken({}, url())).toBeUndefined();
    expect(requestToken({ 'x-api-key': '' }, url())).toBeUndefined();
  });
});
