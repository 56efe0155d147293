/**
 * nn.LayerNorm over the last dim: (x − mean)/sqrt(var + eps)·w + b, biased variance.
 * Statistics in double, one float32 rounding per output.
 * @param x [rows, dim]
 */
export function layerNorm(
  x: Float32Array,
  rows: number,
  dim: number,
  weight: Float32Array,
  bias: Float32Array,
  eps: number,
): Float32Array {
  const y = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    const o = r * dim;
    let mean = 0;
    for (let i = 0; i < dim; i++) mean += x[o + i];
    mean /= dim;
    let variance = 0;
    for (let i = 0; i < dim; i++) {
      const d = x[o + i] - mean;
      variance += d * d;
    }
    variance /= dim;
    const inv = 1 / Math.sqrt(variance + eps);
    for (let i = 0; i < dim; i++) y[o + i] = (x[o + i] - mean) * inv * weight[i] + bias[i];
  }
  return y;
}

/**
 * RMSNorm as in Phi3RMSNorm / InternLM2RMSNorm / InternRMSNorm: in float32,
 * x·rsqrt(mean(x²) + eps), rounded, then times weight.
 * @param x [rows, dim]
 */
export function rmsNorm(
  x: Float32Array,
  rows: number,
  dim: number,
  weight: Float32Array,
  eps: number,
): Float32Array {
  const y = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    const o = r * dim;
    let ss = 0;
    for (let i = 0; i < dim; i++) ss += x[o + i] * x[o + i];
    const inv = 1 / Math.sqrt(ss / dim + eps);
    // HF casts the normalized value back to the input dtype before the weight multiply.
    for (let i = 0; i < dim; i++) y[o + i] = Math.fround(x[o + i] * inv) * weight[i];
  }
  return y;
}
