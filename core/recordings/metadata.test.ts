import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { callIdFromHash, completeMeta, FileNamePattern, readMetadataFile } from './metadata.ts';

const dir = mkdtempSync(join(tmpdir(), 'vp-meta-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

describe('recording metadata', () => {
  it('reads CSV with a header row and JSON lines, matching recordings by path or file name', () => {
    const csv = readMetadataFile(
      file(
        'meta.csv',
        'file,callId,tenant,agent,queue,startedAt\ncalls/a.wav,c-1,acme,a-7,billing,2024-05-01T10:15:00+02:00\n"b, odd.mp3",c-2,,,,\n',
      ),
    );
    expect(csv.lookup(join(dir, 'calls/a.wav'))).toEqual({
      callId: 'c-1',
      tenantId: 'acme',
      agentId: 'a-7',
      queue: 'billing',
      startedAtMs: Date.parse('2024-05-01T08:15:00Z'),
    });
    expect(csv.lookup('/elsewhere/b, odd.mp3')).toEqual({ callId: 'c-2' });
    const jsonl = readMetadataFile(
      file('meta.jsonl', '{"file":"x.flac","tenant":"globex","startedAt":"2024-05-02"}\n\n'),
    );
    expect(jsonl.lookup(join(dir, 'x.flac'))).toEqual({
      tenantId: 'globex',
      startedAtMs: Date.parse('2024-05-02T00:00:00Z'),
    });
  });

  it('refuses a bad row with its line and field', () => {
    expect(() => readMetadataFile(file('bad.csv', 'file,startedAt\na.wav,yesterday\n'))).toThrow(
      /^BAD_METADATA: .*bad\.csv line 2: startedAt/,
    );
    expect(() => readMetadataFile(file('bad.jsonl', '{"file":"a.wav","colour":"red"}\n'))).toThrow(
      /line 1: .*colour/,
    );
    expect(() => readMetadataFile(join(dir, 'absent.csv'))).toThrow(/^BAD_METADATA: .*absent\.csv/);
  });

  it('takes fields from file names by pattern, start times in basic or dashed ISO form', () => {
    const p = new FileNamePattern('{tenant}_{agent}_{callId}_{startedAt}');
    expect(p.match('/r/acme_a-7_c-9_20240501T101500Z.wav')).toEqual({
      tenantId: 'acme',
      agentId: 'a-7',
      callId: 'c-9',
      startedAtMs: Date.parse('2024-05-01T10:15:00Z'),
    });
    expect(p.match('acme_a_c_2024-05-01T10-15-00+0200.mp3'.replace('+0200', '+02:00')).startedAtMs).toBe(
      Date.parse('2024-05-01T08:15:00Z'),
    );
    expect(() => p.match('nothing-here.wav')).toThrow(
      /^BAD_METADATA: file name 'nothing-here' does not match/,
    );
    expect(() => new FileNamePattern('{colour}.wav')).toThrow(/unknown field \{colour\}/);
  });

  it('completes what is missing with defaults and says which', () => {
    const hash = 'ab'.repeat(32);
    const meta = completeMeta({ agentId: 'a-1' }, { contentHash: hash, modifiedAtMs: 1_700_000_000_123.4 });
    expect(meta).toEqual({
      callId: callIdFromHash(hash),
      tenantId: 'default',
      agentId: 'a-1',
      queue: null,
      startedAtMs: 1_700_000_000_123,
      assumed: ['callId', 'tenant', 'startedAt'],
    });
    expect(callIdFromHash(hash)).toBe(`rec-${'ab'.repeat(12)}`);
    expect(
      completeMeta({ callId: 'c' }, { contentHash: hash, modifiedAtMs: 0, tenantId: 'acme' }).assumed,
    ).toEqual(['startedAt']);
  });
});
