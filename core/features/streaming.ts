import type { FeatureConfig } from './config.ts';
import { TELEPHONY_FEATURES } from './config.ts';
import { FeatureError, requireFiniteAudio } from './errors.ts';
import type { LogMelMfcc } from './logmel-mfcc.ts';
import { allocateLogMelMfcc, LogMelMfccFrame, storeFrame } from './logmel-mfcc.ts';
import { frameCount } from './stft.ts';

/** Frames completed by one push or flush; column j is frame firstFrame + j of the whole stream. */
export interface StreamFrames extends LogMelMfcc {
  firstFrame: number;
}

/**
 * Log-mel + MFCC over audio that arrives in chunks of any size. The frames it yields, concatenated,
 * equal extractLogMelMfcc / logMelSpectrogram / mfcc over the whole signal bit for bit, centre
 * padding included: frame t is emitted once samples up to t * hop - nFft / 2 + nFft have arrived,
 * and flush() emits the frames that reach into the end padding.
 */
export class StreamingFeatureExtractor {
  private readonly frame: LogMelMfccFrame;
  private readonly pad: number;
  /** Samples [bufferStart, received) live in buffer[0, received - bufferStart). */
  private buffer = new Float32Array(4096);
  private bufferStart = 0;
  private received = 0;
  private nextFrame = 0;
  private ended = false;

  constructor(readonly config: FeatureConfig = TELEPHONY_FEATURES) {
    this.frame = new LogMelMfccFrame(config);
    this.pad = config.center ? Math.floor(config.nFft / 2) : 0;
  }

  /** Samples pushed so far. */
  get samplesReceived(): number {
    return this.received;
  }

  /** Frames yielded so far. */
  get framesEmitted(): number {
    return this.nextFrame;
  }

  /** Adds samples (at config.sr); returns the frames they complete (often none for small chunks). */
  push(chunk: Float32Array): StreamFrames {
    if (this.ended)
      throw new FeatureError('STREAM_ENDED', 'push after flush; call reset() to start a new stream');
    requireFiniteAudio(chunk);
    this.append(chunk);
    const { nFft, hopLength } = this.config;
    // Frames whose last sample has arrived: t * hop - pad + nFft <= received.
    const ready = Math.max(0, Math.floor((this.received + this.pad - nFft) / hopLength) + 1);
    return this.emit(ready);
  }

  /** Ends the stream: yields the remaining frames (zero padding past the end, as librosa's center=True). */
  flush(): StreamFrames {
    if (this.ended)
      throw new FeatureError('STREAM_ENDED', 'flush called twice; call reset() to start a new stream');
    this.ended = true;
    return this.emit(frameCount(this.received, this.config.nFft, this.config.hopLength, this.config.center));
  }

  /** Forgets everything, ready for a new stream. */
  reset(): void {
    this.bufferStart = 0;
    this.received = 0;
    this.nextFrame = 0;
    this.ended = false;
  }

  private append(chunk: Float32Array): void {
    const used = this.received - this.bufferStart;
    if (used + chunk.length > this.buffer.length) {
      const grown = new Float32Array(Math.max(2 * this.buffer.length, used + chunk.length));
      grown.set(this.buffer.subarray(0, used));
      this.buffer = grown;
    }
    this.buffer.set(chunk, used);
    this.received += chunk.length;
  }

  private emit(until: number): StreamFrames {
    const first = this.nextFrame;
    const out = allocateLogMelMfcc(this.config, Math.max(0, until - first));
    const { hopLength } = this.config;
    const p = this.frame;
    for (let t = first; t < until; t++) {
      p.run(this.buffer, this.bufferStart, this.received, t * hopLength - this.pad);
      storeFrame(p, out, t - first);
    }
    this.nextFrame = Math.max(first, until);
    this.discardBefore(this.nextFrame * hopLength - this.pad);
    return { ...out, firstFrame: first };
  }

  /** Drops samples no future frame reads, shifting the rest to the buffer's start. */
  private discardBefore(sample: number): void {
    const drop = Math.min(sample, this.received) - this.bufferStart;
    if (drop <= 0) return;
    this.buffer.copyWithin(0, drop, this.received - this.bufferStart);
    this.bufferStart += drop;
  }
}
