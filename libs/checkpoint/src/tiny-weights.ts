import type { WeightSpec } from '@internvl/model-config';
import { elementCount } from './dtype';
import type { StreamedTensor } from './safetensors-writer';
import { tensorRandom } from './seeded-random';

/** Uniform distribution [lo, hi) a synthetic tensor is drawn from. */
export interface InitRange {
  lo: number;
  hi: number;
}

function centered(mean: number, std: number): InitRange {
  const half = std * Math.sqrt(3); // a uniform of half-width std·√3 has that std
  return { lo: mean - half, hi: mean + half };
}

/**
 * Init per tensor. Matrices use std 1/√fan_in — N(0, 0.02)-like at real widths (0.018 at 3072)
 * and large enough at tiny widths that activations stay O(1) and tiny models give distinct,
 * stable logits. Layer scales 0.1–1, norm weights 1 ± small noise, biases ~0.02.
 */
export function initRange(spec: WeightSpec): InitRange {
  const { name, shape } = spec;
  if (/\.ls[12]$/.test(name)) return { lo: 0.1, hi: 1 };
  if (name.endsWith('.bias')) return centered(0, 0.02);
  if (shape.length === 1) return centered(1, 0.05); // norm weights (LayerNorm, RMSNorm, q/k norm)
  if (name.endsWith('class_embedding') || name.endsWith('position_embedding')) return centered(0, 0.1);
  return centered(0, 1 / Math.sqrt(elementCount(shape.slice(1))));
}

/**
 * A tensor whose values are generated on demand from (seed, name), for streaming to disk:
 * deterministic, independent of chunk size, and never held whole in memory.
 */
export function syntheticTensor(spec: WeightSpec, seed: number): StreamedTensor {
  const { lo, hi } = initRange(spec);
  const span = hi - lo;
  let rand = tensorRandom(seed, spec.name);
  let next = 0;
  return {
    name: spec.name,
    dtype: 'BF16',
    shape: spec.shape,
    fill(out, start) {
      // Writers fill in order; a restart (e.g. a second write) regenerates from the seed.
      if (start !== next) {
        rand = tensorRandom(seed, spec.name);
        for (let i = 0; i < start; i++) rand();
      }
      for (let i = 0; i < out.length; i++) out[i] = lo + span * rand();
      next = start + out.length;
    },
  };
}
