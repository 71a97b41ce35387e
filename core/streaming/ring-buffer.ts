/** Fixed-capacity ring of float samples that remembers how many samples were ever written. */
export class SampleRing {
  private readonly data: Float32Array;
  private written = 0;

  constructor(readonly capacity: number) {
    if (!(Number.isInteger(capacity) && capacity > 0)) throw new RangeError(`bad ring capacity ${capacity}`);
    this.data = new Float32Array(capacity);
  }

  /** Samples written since creation (the absolute index of the next sample). */
  get total(): number {
    return this.written;
  }

  write(samples: Float32Array): void {
    let src = samples;
    // Only the newest `capacity` samples can survive.
    if (src.length > this.capacity) {
      this.written += src.length - this.capacity;
      src = src.subarray(src.length - this.capacity);
    }
    const at = this.written % this.capacity;
    const first = Math.min(src.length, this.capacity - at);
    this.data.set(src.subarray(0, first), at);
    if (first < src.length) this.data.set(src.subarray(first), 0);
    this.written += src.length;
  }

  /** A copy of absolute samples [start, end); they must still be in the ring. */
  read(start: number, end: number): Float32Array {
    if (start < this.written - this.capacity || end > this.written || start > end)
      throw new RangeError(
        `samples ${start}..${end} are not held (have ${this.written - this.capacity}..${this.written})`,
      );
    const out = new Float32Array(end - start);
    const at = start % this.capacity;
    const first = Math.min(out.length, this.capacity - at);
    out.set(this.data.subarray(at, at + first));
    if (first < out.length) out.set(this.data.subarray(0, out.length - first), first);
    return out;
  }
}
