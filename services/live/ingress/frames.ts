// Audio of a call arriving as binary messages in the format its start negotiated: whole frames of
// all channels interleaved, or (tagged framing) one channel per message with its index in byte 0.
// Decodes, resamples to 8 kHz when the source rate differs, and hands each speaker's samples to
// the call. Used by every protocol whose audio is binary (native, AudioHook, gRPC).
import { StreamingResampler } from '../../../core/audio/resample.ts';
import type { OpenCall } from './calls.ts';
import { AudioFormatError, decodeFrames } from './codec.ts';
import type { MediaFormat } from './start.ts';

export class FrameIngest {
  private resamplers: StreamingResampler[];

  constructor(
    private readonly call: OpenCall,
    private readonly media: MediaFormat,
  ) {
    this.resamplers =
      media.sampleRate === 8000
        ? []
        : media.channels.map(() => new StreamingResampler(media.sampleRate, 8000));
  }

  /** Decodes one binary message; throws AudioFormatError for one that is not whole frames. */
  push(bytes: Uint8Array): void {
    const { codec, channels, framing } = this.media;
    if (framing === 'tagged') {
      const channel = bytes[0];
      if (channel === undefined || channel >= channels.length)
        throw new AudioFormatError(
          'BAD_CHANNEL_TAG',
          `channel tag ${channel} is not in 0..${channels.length - 1}`,
        );
      this.deliver(channel, decodeFrames(bytes.subarray(1), codec, 1)[0]!);
      return;
    }
    decodeFrames(bytes, codec, channels.length).forEach((samples, c) => {
      this.deliver(c, samples);
    });
  }

  /** Hands over what the resamplers still hold (end of the call's audio). */
  flush(): void {
    this.resamplers.forEach((r, c) => {
      const tail = r.flush();
      if (tail.length > 0) this.call.audio(this.media.channels[c]!, tail);
    });
    this.resamplers = [];
  }

  private deliver(channel: number, samples: Float32Array): void {
    const r = this.resamplers[channel];
    this.call.audio(this.media.channels[channel]!, r ? r.push(samples) : samples);
  }
}
