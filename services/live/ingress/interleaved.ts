// Audio of a call arriving as binary frames in one codec: whole interleaved frames of all channels,
// or (tagged framing) one channel per frame with its index in byte 0. Resamples to 8 kHz when the
// source rate differs. Shared by the native WebSocket protocol and gRPC StreamCall.
import { StreamingResampler } from '../../../core/audio/resample.ts';
import type { SpeakerRole } from '../../../core/events/schema.ts';
import type { OpenCall } from './calls.ts';
import { AudioFormatError, type Codec, decodeFrames } from './codec.ts';

export type Framing = 'interleaved' | 'tagged';

export class InterleavedIngest {
  private resamplers: StreamingResampler[];

  constructor(
    private readonly call: OpenCall,
    private readonly codec: Codec,
    sampleRate: number,
    private readonly channels: readonly SpeakerRole[],
    private readonly framing: Framing,
  ) {
    if (codec !== 'pcm16' && sampleRate !== 8000)
      throw new AudioFormatError(`${codec} is defined at 8000 Hz only, not ${sampleRate}`);
    this.resamplers = sampleRate === 8000 ? [] : channels.map(() => new StreamingResampler(sampleRate, 8000));
  }

  /** Decodes one binary frame; throws AudioFormatError for frames that are not whole. */
  push(bytes: Uint8Array): void {
    if (this.framing === 'tagged') {
      const channel = bytes[0];
      if (channel === undefined || channel >= this.channels.length)
        throw new AudioFormatError(`channel tag ${channel} is not in 0..${this.channels.length - 1}`);
      this.deliver(channel, decodeFrames(bytes.subarray(1), this.codec, 1)[0]!);
      return;
    }
    const decoded = decodeFrames(bytes, this.codec, this.channels.length);
    decoded.forEach((samples, c) => {
      this.deliver(c, samples);
    });
  }

  /** Flushes the resamplers and ends the call. */
  finish(): void {
    this.resamplers.forEach((r, c) => {
      const tail = r.flush();
      if (tail.length > 0) this.call.audio(this.channels[c]!, tail);
    });
    this.resamplers = [];
    this.call.end();
  }

  private deliver(channel: number, samples: Float32Array): void {
    const r = this.resamplers[channel];
    this.call.audio(this.channels[channel]!, r ? r.push(samples) : samples);
  }
}
