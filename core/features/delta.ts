import { FeatureError, positiveInt } from './errors.ts';
import type { FeatureMatrix } from './matrix.ts';

export interface DeltaOptions {
  /** Frames in the Savitzky-Golay window; odd, >= 3. Default 9. */
  width?: number;
  /** Derivative order (also the fitted polynomial's order). Default 1. */
  order?: number;
}

/**
 * Weights w such that sum_j w[j] x[j] is the order-th derivative, at position `at`, of the
 * least-squares polynomial of degree `order` through x[0..width): one Savitzky-Golay output.
 */
function savgolWeights(width: number, order: number, at: number): Float64Array {
  // Positions centred on the window keep the normal equations well conditioned.
  const c = (width - 1) / 2;
  const n = order + 1;
  const ata = new Float64Array(n * n);
  for (let i = 0; i < width; i++) {
    const x = i - c;
    for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) ata[a * n + b]! += x ** (a + b);
  }
  // g[j] = d^order/dx^order of x^j at (at - c).
  const g = new Float64Array(n);
  const x0 = at - c;
  for (let j = order; j < n; j++) {
    let f = 1;
    for (let m = j - order + 1; m <= j; m++) f *= m;
    g[j] = f * x0 ** (j - order);
  }
  // Solve ata * z = g (Gauss-Jordan with partial pivoting; n <= width is tiny), then w = V z.
  const z = solve(ata, g, n);
  const w = new Float64Array(width);
  for (let i = 0; i < width; i++) {
    let acc = 0;
    for (let j = 0; j < n; j++) acc += z[j]! * (i - c) ** j;
    w[i] = acc;
  }
  return w;
}

function solve(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const m = Float64Array.from(a);
  const x = Float64Array.from(b);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++)
      if (Math.abs(m[r * n + col]!) > Math.abs(m[pivot * n + col]!)) pivot = r;
    if (pivot !== col) {
      for (let k = 0; k < n; k++) [m[col * n + k], m[pivot * n + k]] = [m[pivot * n + k]!, m[col * n + k]!];
      [x[col], x[pivot]] = [x[pivot]!, x[col]!];
    }
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = m[r * n + col]! / m[col * n + col]!;
      for (let k = col; k < n; k++) m[r * n + k]! -= f * m[col * n + k]!;
      x[r]! -= f * x[col]!;
    }
  }
  for (let r = 0; r < n; r++) x[r] = x[r]! / m[r * n + r]!;
  return x;
}

/**
 * librosa.feature.delta (mode 'interp'): scipy.signal.savgol_filter(data, width, polyorder=order,
 * deriv=order) along the frame axis. Inner frames use the centred window; the first and last
 * width / 2 frames take the derivative of the polynomial fitted to the first / last width frames.
 */
export function delta(data: FeatureMatrix, options: DeltaOptions = {}): FeatureMatrix {
  const width = positiveInt('width', options.width ?? 9);
  const order = positiveInt('order', options.order ?? 1);
  if (width < 3 || width % 2 !== 1)
    throw new FeatureError('INVALID_OPTION', `width must be an odd integer >= 3, got ${width}`);
  if (order >= width)
    throw new FeatureError('INVALID_OPTION', `order ${order} must be less than width ${width}`);
  const { rows, cols } = data;
  if (width > cols) {
    throw new FeatureError('SIGNAL_TOO_SHORT', `width ${width} exceeds the ${cols} frames (mode 'interp')`);
  }
  const half = (width - 1) / 2;
  const weights = Array.from({ length: width }, (_, at) => savgolWeights(width, order, at));
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let t = 0; t < cols; t++) {
      // Window start and the output's position inside it: centred inside, pinned at the edges.
      const start = Math.min(Math.max(t - half, 0), cols - width);
      const w = weights[t - start]!;
      let acc = 0;
      for (let j = 0; j < width; j++) acc += w[j]! * data.data[base + start + j]!;
      out[base + t] = acc;
    }
  }
  return { rows, cols, data: out };
}
