import { InvalidArgumentError, UnimplementedError } from '@internvl/errors';
import type { LlmConfig } from '@internvl/model-config';

const f32 = Math.fround;

/** Cos/sin tables for one forward, in the rotate_half layout (the headDim/2 freqs repeated twice). */
export interface RopeTables {
  /** [T, headDim], already multiplied by mscale. */
  cos: Float32Array;
  /** [T, headDim], already multiplied by mscale. */
  sin: Float32Array;
  /** [headDim/2] inverse frequencies actually used. */
  invFreq: Float32Array;
  /** Attention factor applied to cos and sin (LongRoPE); 1 otherwise. */
  mscale: number;
  /** Which LongRoPE factor list was used; undefined for non-LongRoPE scaling. */
  factors: 'short' | 'long' | undefined;
}

/**
 * inv_freq_k = 1/(f_k · base^(2k/dim)) the way HF evaluates it in float32:
 * `1.0 / (factors * base ** (arange(0, dim, 2).float() / dim))`.
 */
export function inverseFrequencies(base: number, headDim: number, factors?: readonly number[]): Float32Array {
  const half = headDim / 2;
  const inv = new Float32Array(half);
  for (let k = 0; k < half; k++) {
    const exponent = f32((2 * k) / headDim);
    const p = f32(Math.pow(f32(base), exponent));
    const denom = factors === undefined ? p : f32(f32(factors[k]) * p);
    inv[k] = 1 / denom;
  }
  return inv;
}

/**
 * LongRoPE attention factor: sqrt(1 + ln(max/orig)/ln(orig)) when max/orig > 1, else 1
 * (Phi3SuScaledRotaryEmbedding / Phi3LongRoPEScaledRotaryEmbedding).
 */
export function longRopeMscale(maxPositionEmbeddings: number, originalMaxPositionEmbeddings: number): number {
  const scale = maxPositionEmbeddings / originalMaxPositionEmbeddings;
  if (scale <= 1) return 1;
  return Math.sqrt(1 + Math.log(scale) / Math.log(originalMaxPositionEmbeddings));
}

/**
 * Dynamic-NTK base (InternLM2DynamicNTKScalingRotaryEmbedding): unchanged up to maxPos, else
 * theta·((factor·seqLen/maxPos) − (factor − 1))^(dim/(dim−2)).
 */
export function dynamicNtkBase(
  theta: number,
  factor: number,
  seqLen: number,
  maxPositionEmbeddings: number,
  headDim: number,
): number {
  if (seqLen <= maxPositionEmbeddings) return theta;
  return theta * Math.pow((factor * seqLen) / maxPositionEmbeddings - (factor - 1), headDim / (headDim - 2));
}

/**
 * Builds the RoPE cos/sin tables for one full forward over `positionIds`, following the HF
 * rotary class the architecture uses:
 * - Phi-3 (`none` | `su` | `longrope`): the factor list switches on max(positionIds)+1 >
 *   originalMaxPositionEmbeddings, and cos/sin carry the LongRoPE mscale even for short prompts.
 * - InternLM2 (`none` | `dynamic` | `linear`): dynamic NTK rescales the base only when the
 *   sequence is longer than maxPositionEmbeddings; linear divides positions by the factor.
 */
export function ropeTables(llm: LlmConfig, positionIds: readonly number[]): RopeTables {
  const hd = llm.headDim;
  if (hd % 2 !== 0) throw new InvalidArgumentError(`RoPE needs an even head_dim, got ${hd}`);
  const half = hd / 2;
  const T = positionIds.length;
  const maxPos = positionIds.reduce((m, p) => Math.max(m, p), -1);
  const scaling = llm.ropeScaling;
  let invFreq: Float32Array;
  let mscale = 1;
  let factors: 'short' | 'long' | undefined;
  let positionDivisor = 1;

  if (llm.architecture === 'Phi3ForCausalLM') {
    if (scaling.type === 'su' || scaling.type === 'longrope') {
      factors = maxPos + 1 > llm.originalMaxPositionEmbeddings ? 'long' : 'short';
      const list = factors === 'long' ? scaling.longFactor : scaling.shortFactor;
      if (list.length !== half) {
        throw new InvalidArgumentError(
          `rope_scaling ${factors}_factor has ${list.length} entries, expected ${half}`,
        );
      }
      invFreq = inverseFrequencies(llm.ropeTheta, hd, list);
      // Phi-3-small/PhiMoE-style configs state the factors; Phi-3-mini derives it.
      const stated = factors === 'long' ? scaling.longMscale : scaling.shortMscale;
      mscale =
        stated !== undefined && scaling.shortMscale !== undefined && scaling.longMscale !== undefined
          ? stated
          : longRopeMscale(llm.maxPositionEmbeddings, llm.originalMaxPositionEmbeddings);
    } else if (scaling.type === 'none') {
      invFreq = inverseFrequencies(llm.ropeTheta, hd);
    } else {
      throw new UnimplementedError(`Phi3ForCausalLM does not support rope_scaling type '${scaling.type}'`);
    }
  } else {
    if (scaling.type === 'dynamic') {
      // HF passes kv_seq_len (the token count); max position + 1 equals it for contiguous positions.
      const seqLen = Math.max(T, maxPos + 1);
      const base = dynamicNtkBase(llm.ropeTheta, scaling.factor, seqLen, llm.maxPositionEmbeddings, hd);
      invFreq = inverseFrequencies(base, hd);
    } else if (scaling.type === 'linear') {
      invFreq = inverseFrequencies(llm.ropeTheta, hd);
      positionDivisor = scaling.factor;
    } else if (scaling.type === 'none') {
      invFreq = inverseFrequencies(llm.ropeTheta, hd);
    } else {
      throw new UnimplementedError(
        `${llm.architecture} does not support rope_scaling type '${scaling.type}'`,
      );
    }
  }

  const cos = new Float32Array(T * hd);
  const sin = new Float32Array(T * hd);
  const m = f32(mscale);
  for (let t = 0; t < T; t++) {
    const pos = positionDivisor === 1 ? positionIds[t] : f32(positionIds[t] / f32(positionDivisor));
    for (let k = 0; k < half; k++) {
      const angle = f32(pos * invFreq[k]);
      const c = mscale === 1 ? f32(Math.cos(angle)) : f32(f32(Math.cos(angle)) * m);
      const s = mscale === 1 ? f32(Math.sin(angle)) : f32(f32(Math.sin(angle)) * m);
      cos[t * hd + k] = c;
      cos[t * hd + k + half] = c;
      sin[t * hd + k] = s;
      sin[t * hd + k + half] = s;
    }
  }
  return { cos, sin, invFreq, mscale, factors };
}

/**
 * Applies rotate_half RoPE in place: x·cos + rotate_half(x)·sin, rotate_half(x) = [−x2, x1].
 * @param x [T, numHeads·headDim], heads contiguous per row
 */
export function applyRope(
  x: Float32Array,
  T: number,
  numHeads: number,
  headDim: number,
  tables: Pick<RopeTables, 'cos' | 'sin'>,
): Float32Array {
  const half = headDim / 2;
  for (let t = 0; t < T; t++) {
    const c = t * headDim;
    for (let h = 0; h < numHeads; h++) {
      const o = (t * numHeads + h) * headDim;
      for (let d = 0; d < half; d++) {
        const x1 = x[o + d];
        const x2 = x[o + d + half];
        x[o + d] = f32(x1 * tables.cos[c + d]) - f32(x2 * tables.sin[c + d]);
        x[o + d + half] = f32(x2 * tables.cos[c + d + half]) + f32(x1 * tables.sin[c + d + half]);
      }
    }
  }
  return x;
}
