import { createRng } from '@internvl/generation';
import { expectedWeights, type InternVLConfig, type WeightSpec } from '@internvl/model-config';
import { MapWeightSource } from './weight-source';

/** Fills a new array with uniform values in [lo, hi). */
export function uniformArray(rand: () => number, length: number, lo: number, hi: number): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = lo + (hi - lo) * rand();
  return out;
}

/** Value range for a tensor, chosen so activations stay O(1) through a few random layers. */
function rangeFor(spec: WeightSpec): [number, number] {
  const { name, shape } = spec;
  if (name.endsWith('.bias')) return [-0.1, 0.1];
  if (/\.ls[12]$/.test(name)) return [0.3, 1];
  if (shape.length === 1) return [0.8, 1.2]; // norm weights
  if (name.endsWith('embed_tokens.weight') || name.endsWith('tok_embeddings.weight')) return [-1, 1];
  if (name.endsWith('class_embedding') || name.endsWith('position_embedding')) return [-0.5, 0.5];
  // Linear / conv [out, in...]: variance 1/fan_in.
  const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
  const bound = Math.sqrt(3 / fanIn);
  return [-bound, bound];
}

/**
 * Random weights for every tensor the reference forward reads for `config`, from one seed
 * (tensors drawn in expectedWeights order). For tests of tiny models only.
 */
export function randomWeightSource(config: InternVLConfig, seed: number): MapWeightSource {
  // mulberry32: same seed, same weights everywhere.
  const rand = createRng(seed);
  const source = new MapWeightSource();
  for (const spec of expectedWeights(config)) {
    const [lo, hi] = rangeFor(spec);
    const count = spec.shape.reduce((a, b) => a * b, 1);
    source.set(spec.name, spec.shape, uniformArray(rand, count, lo, hi));
  }
  return source;
}
