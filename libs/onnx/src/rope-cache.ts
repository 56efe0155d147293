import { InvalidArgumentError } from '@internvl/errors';

/** Rotary tables in the layout GroupQueryAttention / RotaryEmbedding take: `[maxPositions, rotaryDim/2]`. */
export interface RopeCache {
  cos: Float32Array;
  sin: Float32Array;
}

/** Options for {@link ropeCosSinCache}. */
export interface RopeCacheOptions {
  /** RoPE base θ (default 10000). */
  base?: number;
  /**
   * Per-pair frequencies `[rotaryDim/2]` overriding `base^(-2i/d)`, for scaled variants
   * (e.g. Phi-3 LongRoPE divides them by its short/long factors).
   */
  invFreq?: Float32Array;
  /** Multiplier applied to cos and sin (LongRoPE's attention factor); default 1. */
  scale?: number;
}

/**
 * cos/sin tables for non-interleaved (rotate_half) RoPE. The arithmetic is rounded to float32
 * at the same steps as the HF PyTorch rotary embedding, so positions far into a long context
 * carry the same rounding as the reference model.
 */
export function ropeCosSinCache(
  maxPositions: number,
  rotaryDim: number,
  options: RopeCacheOptions = {},
): RopeCache {
  if (rotaryDim % 2 !== 0 || rotaryDim <= 0) {
    throw new InvalidArgumentError(`rotary dim must be a positive even number, got ${rotaryDim}`);
  }
  const half = rotaryDim / 2;
  const base = options.base ?? 10000;
  const invFreq =
    options.invFreq ??
    Float32Array.from({ length: half }, (_, i) =>
      Math.fround(1 / Math.fround(base ** Math.fround((2 * i) / rotaryDim))),
    );
  if (invFreq.length !== half) {
    throw new InvalidArgumentError(`invFreq needs ${half} entries, got ${invFreq.length}`);
  }
  const scale = options.scale ?? 1;
  const cos = new Float32Array(maxPositions * half);
  const sin = new Float32Array(maxPositions * half);
  for (let p = 0; p < maxPositions; p++) {
    for (let i = 0; i < half; i++) {
      const angle = Math.fround(p * invFreq[i]);
      cos[p * half + i] = Math.fround(Math.cos(angle)) * scale;
      sin[p * half + i] = Math.fround(Math.sin(angle)) * scale;
    }
  }
  return { cos, sin };
}
