// Building blocks for assembling sample buffers (the demo call's turns, synthetic test signals).

/** `ms` of silence at 8 kHz. */
export function silence(ms: number): Float32Array {
  return new Float32Array(Math.round(ms * 8));
}

/** The buffers one after another. */
export function concat(...parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
