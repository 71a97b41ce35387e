import { describe, expect, it } from 'vitest';
import { NonceCache, parseAudioHookCredentials, signatureProblem } from './audiohook.ts';
import { audiohookHeaders } from './testing/audiohook.ts';

// The sample API key and client secret of Genesys's AudioHook documentation.
const API_KEY = 'SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh';
const SECRET = Buffer.from('TXlTdXBlclNlY3JldEtleVRlbGxOby0xITJAMyM0JDU=', 'base64');
const TARGET = '/audiohook?x=1';
const signed = (over: Partial<Parameters<typeof audiohookHeaders>[0]> = {}) => ({
  headers: audiohookHeaders({
    host: 'voice.example.com',
    target: TARGET,
    apiKey: API_KEY,
    secret: SECRET,
    ...over,
  }),
  target: TARGET,
});
const NOW = Math.floor(Date.now() / 1000);

describe('signatureProblem (AudioHook HTTP Message Signatures)', () => {
  it('accepts a request signed as Genesys signs it, once per nonce', () => {
    const nonces = new NonceCache();
    const req = signed();
    expect(signatureProblem(req, API_KEY, SECRET, nonces, NOW)).toBeUndefined();
    expect(signatureProblem(req, API_KEY, SECRET, nonces, NOW)).toBe('nonce replayed');
  });

  it('refuses unsigned, tampered, wrongly keyed, incomplete, stale and malformed signatures', () => {
    const check = (req: { headers: Record<string, unknown>; target: string }, secret = SECRET) =>
      signatureProblem(req as never, API_KEY, secret, new NonceCache(), NOW);
    expect(check(signed({ secret: undefined }))).toBe('unsigned request');
    expect(check(signed(), Buffer.from('another secret of enough bytes'))).toBe('signature mismatch');
    const tampered = signed();
    tampered.headers['audiohook-organization-id'] = '99999999-2222-4333-8444-555555555555';
    expect(check(tampered)).toBe('signature mismatch');
    expect(check({ ...signed(), target: '/audiohook?x=2' })).toBe('signature mismatch');
    expect(check(signed({ apiKey: 'QW5vdGhlckFQSWtleUFub3RoZXI=' }))).toBe('keyid is not the X-API-KEY');
    expect(check(signed({ nonce: 'short' }))).toMatch(/^nonce missing or shorter/);
    expect(check(signed({ components: ['@request-target', '@authority', 'x-api-key'] }))).toMatch(
      /^signature does not cover audiohook-organization-id, audiohook-session-id, audiohook-correlation-id/,
    );
    expect(check(signed({ created: NOW - 60 }))).toBe('signature too old');
    expect(check(signed({ created: NOW + 60 }))).toBe('created is in the future');
    expect(check({ headers: { ...signed().headers, signature: 'sig1=:@@@:' }, target: TARGET })).toMatch(
      /not a structured-field dictionary/,
    );
  });
});

describe('parseAudioHookCredentials', () => {
  it('reads tenant=apiKey:secret and refuses short secrets without repeating them', () => {
    const secret = SECRET.toString('base64');
    expect(parseAudioHookCredentials(`acme=${API_KEY}:${secret}`)).toEqual({
      [API_KEY]: { tenant: 'acme', secret: SECRET },
    });
    for (const bad of [
      `acme=${API_KEY}`,
      `acme=${API_KEY}:c2hvcnQ=`,
      `=${API_KEY}:${secret}`,
      `acme=k:${secret}`,
    ])
      expect(() => parseAudioHookCredentials(bad)).toThrow(/^BAD_AUDIOHOOK_CREDENTIALS: /);
    try {
      parseAudioHookCredentials(`acme=${API_KEY}:c2hvcnQ=`);
    } catch (err) {
      expect((err as Error).message).not.toContain('c2hvcnQ=');
    }
  });
});
