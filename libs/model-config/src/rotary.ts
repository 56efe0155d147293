import { InvalidArgumentError } from '@internvl/errors';
import type { LlmConfig } from './model-config';

const f32 = Math.fround;

/**
 * The rotation a forward applies, as HF's rotary classes decide it from that forward's length:
 * Phi-3 LongRoPE switches to its long factors once the length passes
 * original_max_position_embeddings; InternLM2's dynamic NTK rescales the base from the length once
 * it passes max_position_embeddings. `key` names it (prefix-cache blocks are only shared between
 * forwards of equal key, since cached keys keep the rotation they were stored with).
 */
export interface RotaryRegime {
  key: string;
  /** [headDim/2] inverse frequencies. */
  invFreq: Float32Array;
  /** Multiplies cos and sin (LongRoPE's attention factor). */
  scale: number;
  /** Positions are divided by this first (linear scaling). */
  positionDivisor: number;
}

/** HF's `1 / (factor_k · base^(2k/d))`, rounded to float32 at PyTorch's steps. */
function inverseFrequencies(base: number, headDim: number, factors?: readonly number[]): Float32Array {
  return Float32Array.from({ length: headDim / 2 }, (_, k) => {
    const power = f32(Math.pow(f32(base), f32((2 * k) / headDim)));
    return f32(1 / (factors === undefined ? power : f32(f32(factors[k]!) * power)));
  });
}

/**
 * The regime of a forward over a sequence of `length` tokens in total: the whole prompt for every
 * chunk of a prefill (so chunking never changes it), position + 1 for a decode step.
 */
export function rotaryRegime(llm: LlmConfig, length: number): RotaryRegime {
  const hd = llm.headDim;
  if (hd % 2 !== 0) throw new InvalidArgumentError(`RoPE needs an even head_dim, got ${hd}`);
  const s = llm.ropeScaling;
  const plain = { invFreq: inverseFrequencies(llm.ropeTheta, hd), scale: 1, positionDivisor: 1 };
  switch (s.type) {
    case 'none':
      return { key: 'plain', ...plain };
    case 'linear':
      return { key: 'plain', ...plain, positionDivisor: s.factor };
    case 'dynamic': {
      if (length <= llm.maxPositionEmbeddings) return { key: 'plain', ...plain };
      const base =
        llm.ropeTheta *
        Math.pow((s.factor * length) / llm.maxPositionEmbeddings - (s.factor - 1), hd / (hd - 2));
      return { key: `ntk:${length}`, ...plain, invFreq: inverseFrequencies(base, hd) };
    }
    case 'su':
    case 'longrope': {
      const long = length > llm.originalMaxPositionEmbeddings;
      const factors = long ? s.longFactor : s.shortFactor;
      if (factors.length !== hd / 2) {
        throw new InvalidArgumentError(
          `rope_scaling ${long ? 'long' : 'short'}_factor has ${factors.length} entries, expected ${hd / 2}`,
        );
      }
      const ratio = llm.maxPositionEmbeddings / llm.originalMaxPositionEmbeddings;
      const derived =
        ratio <= 1 ? 1 : Math.sqrt(1 + Math.log(ratio) / Math.log(llm.originalMaxPositionEmbeddings));
      // Configs that state both factors use them; Phi-3-mini derives one.
      const stated = s.shortMscale !== undefined && s.longMscale !== undefined;
      const scale = stated ? (long ? s.longMscale! : s.shortMscale!) : derived;
      return {
        key: long ? 'long' : 'short',
        invFreq: inverseFrequencies(llm.ropeTheta, hd, factors),
        scale,
        positionDivisor: 1,
      };
    }
  }
}

/**
 * Writes cos and sin `[headDim/2]` of each position into `cos`/`sin` from `offset` rows on: the
 * decoder's `rope_cos`/`rope_sin` rows (rotate_half layout, so one half serves both halves).
 */
export function writeRotaryRows(
  regime: RotaryRegime,
  positions: ArrayLike<number>,
  cos: Float32Array,
  sin: Float32Array,
  offset = 0,
): void {
  const half = regime.invFreq.length;
  const m = f32(regime.scale);
  for (let t = 0; t < positions.length; t++) {
    const p = regime.positionDivisor === 1 ? positions[t]! : f32(positions[t]! / f32(regime.positionDivisor));
    const row = (offset + t) * half;
    for (let k = 0; k < half; k++) {
      const angle = f32(p * regime.invFreq[k]!);
      cos[row + k] = m === 1 ? Math.cos(angle) : f32(Math.cos(angle)) * m;
      sin[row + k] = m === 1 ? Math.sin(angle) : f32(Math.sin(angle)) * m;
    }
  }
}
