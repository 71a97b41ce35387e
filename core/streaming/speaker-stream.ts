// One speaker's live audio: buffered in a ring, classified frame by frame by the VAD, and cut into
// sliding windows at fixed sample positions, so the windows do not depend on how the audio was
// chunked on the way in. A gap (a span of the call without audio: on hold, discarded or lost by the
// carrier) moves the timeline on as silence from one shared buffer; frames wholly inside a gap count
// as neither speech nor silence, so a hold is reported as a gap, not as the speaker's silence.
import { type StreamingConfig, samplesFor } from './config.ts';
import { SampleRing } from './ring-buffer.ts';
import { EnergyVad } from './vad.ts';

export interface SpeakerWindow {
  /** Window bounds in samples and milliseconds from the start of the speaker's audio. */
  startSample: number;
  endSample: number;
  startMs: number;
  endMs: number;
  /** Share of the window's VAD frames that held speech. */
  speechRatio: number;
  /** Whether the window has enough speech to be scored. */
  scorable: boolean;
  /** The window's audio; only present when scorable and the stream keeps audio. */
  samples: Float32Array | null;
}

export interface SpeakerStreamOptions {
  /** False for measure-only speakers (agent audio without emotion scoring): no window audio is copied. */
  keepAudio: boolean;
  /** Called with each VAD frame's decision, in order (frame index from the start of the stream). */
  onFrame?: (frameIndex: number, speech: boolean) => void;
}

/** Zeros handed out in slices for gaps: a gap never allocates. */
const SILENCE = new Float32Array(8000);

export class SpeakerStream {
  private readonly ring: SampleRing;
  private readonly vad = new EnergyVad();
  private readonly frameSamples: number;
  private readonly windowSamples: number;
  private readonly hopSamples: number;
  private readonly frame: Float32Array;
  private frameFill = 0;
  /** Samples of the current frame that came from a gap. */
  private frameGap = 0;
  private frames = 0;
  private gapFrames = 0;
  private gapSamples = 0;
  /** Per-frame speech flags for the frames of the current window span (ring indexed by frame). */
  private readonly speechFlags: Uint8Array;
  private nextWindowEnd: number;
  private windowsEmitted = 0;
  private speechFrames = 0;

  constructor(
    private readonly config: StreamingConfig,
    private readonly options: SpeakerStreamOptions,
  ) {
    this.frameSamples = samplesFor(config.vadFrameMs, config);
    this.windowSamples = samplesFor(config.windowMs, config);
    this.hopSamples = samplesFor(config.hopMs, config);
    this.ring = new SampleRing(this.windowSamples);
    this.frame = new Float32Array(this.frameSamples);
    this.speechFlags = new Uint8Array(this.windowSamples / this.frameSamples);
    this.nextWindowEnd = this.windowSamples;
  }

  /** Samples received so far. */
  get samples(): number {
    return this.ring.total;
  }

  /** Speech and non-speech time so far (whole VAD frames). */
  get talkMs(): number {
    return this.speechFrames * this.config.vadFrameMs;
  }
  get silenceMs(): number {
    return (this.frames - this.speechFrames - this.gapFrames) * this.config.vadFrameMs;
  }

  /** Time spent in gaps so far. */
  get gapMs(): number {
    return (1000 * this.gapSamples) / this.config.sampleRate;
  }

  /** Adds audio (at config.sampleRate); returns the windows it completes, oldest first. */
  push(chunk: Float32Array): SpeakerWindow[] {
    return this.feed(chunk, false, []);
  }

  /** Adds `samples` of gap: the timeline moves on as silence; returns the windows it completes. */
  gap(samples: number): SpeakerWindow[] {
    const out: SpeakerWindow[] = [];
    this.gapSamples += samples;
    for (let n = samples; n > 0; n -= SILENCE.length)
      this.feed(SILENCE.subarray(0, Math.min(n, SILENCE.length)), true, out);
    return out;
  }

  private feed(chunk: Float32Array, gap: boolean, out: SpeakerWindow[]): SpeakerWindow[] {
    let offset = 0;
    while (offset < chunk.length) {
      // Feed up to the next frame boundary so window ends always fall on frame ends.
      const take = Math.min(chunk.length - offset, this.frameSamples - this.frameFill);
      const part = chunk.subarray(offset, offset + take);
      this.ring.write(part);
      this.frame.set(part, this.frameFill);
      this.frameFill += take;
      if (gap) this.frameGap += take;
      offset += take;
      if (this.frameFill === this.frameSamples) {
        this.endFrame();
        if (this.ring.total === this.nextWindowEnd) {
          out.push(this.window(this.nextWindowEnd - this.windowSamples, this.nextWindowEnd));
          this.nextWindowEnd += this.hopSamples;
        }
      }
    }
    return out;
  }

  /**
   * Ends the stream. A speaker whose audio never filled one window but holds at least half a window
   * gets one window over all of it, so short calls are still scored.
   */
  end(): SpeakerWindow[] {
    if (this.windowsEmitted > 0 || this.frames * this.frameSamples < this.windowSamples / 2) return [];
    return [this.window(0, this.frames * this.frameSamples)];
  }

  private endFrame(): void {
    // A gap's digital silence is never speech; the VAD hears it as it would any silence.
    const speech = this.vad.isSpeech(this.frame);
    this.speechFlags[this.frames % this.speechFlags.length] = speech ? 1 : 0;
    if (speech) this.speechFrames++;
    else if (this.frameGap === this.frameSamples) this.gapFrames++;
    this.options.onFrame?.(this.frames, speech);
    this.frames++;
    this.frameFill = 0;
    this.frameGap = 0;
  }

  private window(start: number, end: number): SpeakerWindow {
    this.windowsEmitted++;
    const firstFrame = start / this.frameSamples;
    const lastFrame = end / this.frameSamples;
    let speech = 0;
    for (let f = firstFrame; f < lastFrame; f++) speech += this.speechFlags[f % this.speechFlags.length]!;
    const speechRatio = speech / (lastFrame - firstFrame);
    const scorable = speechRatio >= this.config.minSpeechRatio && speech > 0;
    const msPerSample = 1000 / this.config.sampleRate;
    return {
      startSample: start,
      endSample: end,
      startMs: Math.round(start * msPerSample),
      endMs: Math.round(end * msPerSample),
      speechRatio,
      scorable,
      samples: scorable && this.options.keepAudio ? this.ring.read(start, end) : null,
    };
  }
}
