// Energy voice-activity detector with an adaptive noise floor. Hand-written: it runs on every 20 ms
// frame of every live speaker, so it must be a few multiply-adds per sample and fully streaming.

export interface VadOptions {
  /** Frames quieter than this (dBFS) are never speech: line noise, comfort noise, digital silence. */
  absoluteFloorDb?: number;
  /** A frame is speech when it is this far above the tracked noise floor. */
  marginDb?: number;
  /** Noise floor follows quieter frames at once and louder ones by this many dB per frame. */
  floorRiseDbPerFrame?: number;
}

/** Decides speech / non-speech for consecutive frames of one speaker's audio. */
export class EnergyVad {
  private readonly absoluteFloorDb: number;
  private readonly marginDb: number;
  private readonly riseDb: number;
  private noiseFloorDb: number;

  constructor(opts: VadOptions = {}) {
    this.absoluteFloorDb = opts.absoluteFloorDb ?? -50;
    this.marginDb = opts.marginDb ?? 9;
    this.riseDb = opts.floorRiseDbPerFrame ?? 0.05;
    this.noiseFloorDb = this.absoluteFloorDb;
  }

  /** Classifies one frame (samples in [-1, 1]) and updates the noise floor. */
  isSpeech(frame: Float32Array): boolean {
    let energy = 0;
    for (let i = 0; i < frame.length; i++) energy += frame[i]! * frame[i]!;
    const db = 10 * Math.log10(energy / Math.max(1, frame.length) + 1e-12);
    const speech = db > this.absoluteFloorDb && db > this.noiseFloorDb + this.marginDb;
    // Quiet frames pull the floor down at once; loud ones raise it slowly, so a long utterance
    // is not mistaken for noise but a steady louder background eventually is.
    this.noiseFloorDb = db < this.noiseFloorDb ? db : this.noiseFloorDb + this.riseDb;
    if (this.noiseFloorDb < this.absoluteFloorDb - 30) this.noiseFloorDb = this.absoluteFloorDb - 30;
    return speech;
  }
}
