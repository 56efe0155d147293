import { InvalidArgumentError } from '@internvl/errors';

/** Shape and masking of one scaled-dot-product attention call. */
export interface AttentionShape {
  /** Sequence length (queries = keys, full recompute). */
  T: number;
  numHeads: number;
  /** Each KV head serves numHeads/numKvHeads consecutive query heads (GQA; equal = MHA). */
  numKvHeads: number;
  headDim: number;
  /** Multiplies q·k before softmax (1/sqrt(headDim) for all InternVL models). */
  scale: number;
  /** Query i sees keys j ≤ i only. */
  causal: boolean;
}

/**
 * softmax(scale·q·kᵀ [+ causal mask])·v per head, softmax in double then rounded to float32,
 * heads concatenated in order.
 * @param q [T, numHeads·headDim]
 * @param k [T, numKvHeads·headDim]
 * @param v [T, numKvHeads·headDim]
 * @returns [T, numHeads·headDim]
 */
export function attention(
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  shape: AttentionShape,
): Float32Array {
  const { T, numHeads, numKvHeads, headDim, scale, causal } = shape;
  if (numHeads % numKvHeads !== 0) {
    throw new InvalidArgumentError(
      `num_heads ${numHeads} is not a multiple of num_key_value_heads ${numKvHeads}`,
    );
  }
  const group = numHeads / numKvHeads;
  const qWidth = numHeads * headDim;
  const kvWidth = numKvHeads * headDim;
  const out = new Float32Array(T * qWidth);
  const scores = new Float64Array(T);
  // V of one KV head transposed to [headDim, T]: the p·v sums then run over contiguous memory.
  const vT = new Float64Array(headDim * T);
  let vTHead = -1;
  for (let h = 0; h < numHeads; h++) {
    const kvh = Math.floor(h / group);
    if (kvh !== vTHead) {
      for (let j = 0; j < T; j++) {
        for (let d = 0; d < headDim; d++) vT[d * T + j] = v[j * kvWidth + kvh * headDim + d];
      }
      vTHead = kvh;
    }
    for (let i = 0; i < T; i++) {
      const qo = i * qWidth + h * headDim;
      const last = causal ? i : T - 1;
      let max = -Infinity;
      for (let j = 0; j <= last; j++) {
        const ko = j * kvWidth + kvh * headDim;
        let s = 0;
        for (let d = 0; d < headDim; d++) s += q[qo + d] * k[ko + d];
        // Scores are float32 tensors in torch; round before the softmax.
        const score = Math.fround(Math.fround(s) * scale);
        scores[j] = score;
        if (score > max) max = score;
      }
      let sum = 0;
      for (let j = 0; j <= last; j++) {
        const e = Math.exp(scores[j] - max);
        scores[j] = e;
        sum += e;
      }
      for (let j = 0; j <= last; j++) scores[j] = Math.fround(scores[j] / sum);
      for (let d = 0; d < headDim; d++) {
        const vo = d * T;
        let acc = 0;
        for (let j = 0; j <= last; j++) acc += scores[j] * vT[vo + j];
        out[qo + d] = acc;
      }
    }
  }
  return out;
}
