/** Features in librosa orientation: row-major, rows = features (bins, bands, coefficients), cols = frames. */
export interface FeatureMatrix {
  rows: number;
  cols: number;
  data: Float32Array;
}

/**
 * Packs frames computed one after another (frame-major float64: frame t's `rows` values start at
 * t * rows) into a row-major float32 FeatureMatrix.
 */
export function framesToMatrix(frames: Float64Array, rows: number, cols: number): FeatureMatrix {
  const data = new Float32Array(rows * cols);
  writeFrames(frames, rows, cols, data);
  return { rows, cols, data };
}

/** framesToMatrix into the first `rows` rows of a row-major float32 `data` of `cols` columns. */
export function writeFrames(frames: Float64Array, rows: number, cols: number, data: Float32Array): void {
  for (let t = 0; t < cols; t++) {
    const base = t * rows;
    for (let r = 0; r < rows; r++) data[r * cols + t] = frames[base + r]!;
  }
}
