import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { parseEnv } from '../../core/config/env.ts';
import { corpusRoot, findCorpus, MissingCorpusError, requireCorpus } from './corpus.ts';

const tmp = mkdtempSync(join(tmpdir(), 'vp-corpus-'));
mkdirSync(join(tmp, 'tess'));
const missing = join(tmp, 'does-not-exist');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('corpusRoot', () => {
  it('uses VOICEPULSE_DATA when it exists', () => {
    expect(corpusRoot({ VOICEPULSE_DATA: tmp })).toBe(tmp);
  });
  it('is undefined when VOICEPULSE_DATA points nowhere', () => {
    expect(corpusRoot({ VOICEPULSE_DATA: missing })).toBeUndefined();
  });
  it('falls back to <repo>/../shared/data', () => {
    const fallback = parseEnv({}).data.root;
    expect(fallback).toBe(resolve(import.meta.dirname, '..', '..', '..', 'shared', 'data'));
    expect(corpusRoot({})).toBe(existsSync(fallback) ? fallback : undefined);
  });
});

describe('findCorpus', () => {
  it('returns the root or a corpus folder when present', () => {
    expect(findCorpus(undefined, { VOICEPULSE_DATA: tmp })).toBe(tmp);
    expect(findCorpus('tess', { VOICEPULSE_DATA: tmp })).toBe(join(tmp, 'tess'));
  });
  it('throws in CI when the data is absent', () => {
    expect(() => findCorpus(undefined, { VOICEPULSE_DATA: missing, CI: 'true' })).toThrow(MissingCorpusError);
    expect(() => findCorpus('emovo', { VOICEPULSE_DATA: tmp, CI: '1' })).toThrow(/emovo/);
  });
  it('warns loudly and returns undefined outside CI', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(findCorpus('emovo', { VOICEPULSE_DATA: tmp })).toBeUndefined();
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/SKIPPING.*emovo/));
    warn.mockRestore();
  });
});

describe('requireCorpus', () => {
  it('returns the path when present and throws when absent, CI or not', () => {
    expect(requireCorpus('tess', { VOICEPULSE_DATA: tmp })).toBe(join(tmp, 'tess'));
    expect(() => requireCorpus('urdu', { VOICEPULSE_DATA: tmp })).toThrow(MissingCorpusError);
    expect(() => requireCorpus(undefined, { VOICEPULSE_DATA: missing })).toThrow(MissingCorpusError);
  });
});
