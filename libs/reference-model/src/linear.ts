/**
 * PyTorch nn.Linear on row-major data: y[r, o] = Σ_i x[r, i]·W[o, i] + b[o], W is [outF, inF].
 * Accumulates in double and rounds each output once to float32.
 * @param x [rows, inF]
 * @param rowOffset first row of x to use (lets callers project a single row without copying)
 */
export function linear(
  x: Float32Array,
  rows: number,
  inF: number,
  weight: Float32Array,
  outF: number,
  bias?: Float32Array,
  rowOffset = 0,
): Float32Array {
  const y = new Float32Array(rows * outF);
  for (let r = 0; r < rows; r++) {
    const xo = (rowOffset + r) * inF;
    const yo = r * outF;
    for (let o = 0; o < outF; o++) {
      const wo = o * inF;
      // Two partial sums halve the dependency chain; still plain double accumulation.
      let s0 = 0;
      let s1 = 0;
      let i = 0;
      for (; i + 1 < inF; i += 2) {
        s0 += x[xo + i] * weight[wo + i];
        s1 += x[xo + i + 1] * weight[wo + i + 1];
      }
      if (i < inF) s0 += x[xo + i] * weight[wo + i];
      y[yo + o] = s0 + s1 + (bias === undefined ? 0 : bias[o]);
    }
  }
  return y;
}

/** Columns [start, start+width) of a [rows, stride] matrix, copied into a new [rows, width]. */
export function columns(
  m: Float32Array,
  rows: number,
  stride: number,
  start: number,
  width: number,
): Float32Array {
  const out = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++)
    out.set(m.subarray(r * stride + start, r * stride + start + width), r * width);
  return out;
}

/** Adds b into a elementwise, in place (residual connections). */
export function addInPlace(a: Float32Array, b: Float32Array): Float32Array {
  for (let i = 0; i < a.length; i++) a[i] += b[i];
  return a;
}
