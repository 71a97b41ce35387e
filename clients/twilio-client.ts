// Builds Twilio Media Streams messages for tests, the demo and the load generator.
import { encodeUlaw } from '../core/audio/g711.ts';

export const CHUNK_SAMPLES = 160;

export function toPcm16(x: Float32Array): Int16Array {
  const out = new Int16Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = Math.max(-32768, Math.min(32767, Math.round(x[i]! * 32768)));
  return out;
}

export interface TwilioCall {
  callSid: string;
  streamSid: string;
  params: Record<string, string>;
}

export function startMessage(c: TwilioCall): string {
  return JSON.stringify({
    event: 'start',
    sequenceNumber: '1',
    streamSid: c.streamSid,
    start: {
      accountSid: 'AC00000000000000000000000000000000',
      streamSid: c.streamSid,
      callSid: c.callSid,
      tracks: ['inbound', 'outbound'],
      customParameters: c.params,
      mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
    },
  });
}

/** The media messages of one track: 20 ms µ-law chunks, chunk numbers from 1. */
export function mediaMessages(c: TwilioCall, track: 'inbound' | 'outbound', audio: Float32Array): string[] {
  const codes = encodeUlaw(toPcm16(audio));
  const out: string[] = [];
  for (let i = 0, chunk = 1; i < codes.length; i += CHUNK_SAMPLES, chunk++)
    out.push(
      JSON.stringify({
        event: 'media',
        streamSid: c.streamSid,
        media: {
          track,
          chunk: String(chunk),
          timestamp: String(Math.round(i / 8)),
          payload: Buffer.from(codes.subarray(i, i + CHUNK_SAMPLES)).toString('base64'),
        },
      }),
    );
  return out;
}

export function stopMessage(c: TwilioCall): string {
  return JSON.stringify({
    event: 'stop',
    streamSid: c.streamSid,
    stop: { accountSid: 'AC0', callSid: c.callSid },
  });
}
