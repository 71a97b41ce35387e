import { describe, expect, it } from 'vitest';
import { IngressError } from './errors.ts';
import { parseCallStart } from './start.ts';

const meta = { callId: 'c1', tenantId: 'acme', agentId: null, queue: 'billing' };
const media = { codec: 'pcm16', sampleRate: 16000, channels: ['customer', 'agent'], framing: 'interleaved' };

function refusal(input: unknown): { code: string; message: string } {
  try {
    parseCallStart(input);
  } catch (err) {
    if (err instanceof IngressError) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('accepted');
}

describe('parseCallStart', () => {
  it('accepts a start whose ids, codec, rate and channels are valid', () => {
    expect(parseCallStart({ meta, media })).toEqual({ meta, media });
    expect(parseCallStart({ meta, media: { ...media, codec: 'mulaw', sampleRate: 8000 } }).media.codec).toBe(
      'mulaw',
    );
  });

  it('refuses a codec it cannot decode, or G.711 at another rate, as UNSUPPORTED_CODEC', () => {
    expect(refusal({ meta, media: { ...media, codec: 'opus' } })).toMatchObject({
      code: 'UNSUPPORTED_CODEC',
    });
    expect(refusal({ meta, media: { ...media, codec: 'alaw' } })).toEqual({
      code: 'UNSUPPORTED_CODEC',
      message:
        'UNSUPPORTED_CODEC: invalid start: media.sampleRate: G.711 (mulaw, alaw) is defined at 8000 Hz only',
    });
  });

  it('refuses anything else as INVALID_MESSAGE naming the field', () => {
    const cases: Array<[unknown, string]> = [
      [{ meta: { ...meta, callId: '' }, media }, 'meta.callId'],
      [{ meta: { ...meta, tenantId: 'x'.repeat(129) }, media }, 'meta.tenantId'],
      [{ meta, media: { ...media, sampleRate: 4000 } }, 'media.sampleRate'],
      [{ meta, media: { ...media, sampleRate: 8000.5 } }, 'media.sampleRate'],
      [{ meta, media: { ...media, channels: [] } }, 'media.channels'],
      [{ meta, media: { ...media, channels: ['customer', 'customer'] } }, 'media.channels'],
      [{ meta, media: { ...media, channels: ['supervisor'] } }, 'media.channels.0'],
      [{ meta, media: { ...media, framing: 'zigzag' } }, 'media.framing'],
    ];
    for (const [input, field] of cases) {
      const r = refusal(input);
      expect(r.code, field).toBe('INVALID_MESSAGE');
      expect(r.message).toContain(`invalid start: ${field}: `);
    }
  });
});
