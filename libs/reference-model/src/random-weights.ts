import type { InternVLConfig } from '@internvl/model-config';
import { weightSpecs, type WeightSpec } from './weight-names';
import { MapWeightSource } from './weight-source';

/** Deterministic uniform [0, 1) generator (mulberry32): same seed, same weights everywhere. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
 * (tensors drawn in weightSpecs order). For tests of tiny models only.
 */
export function randomWeightSource(config: InternVLConfig, seed: number): MapWeightSource {
  const rand = seededRandom(seed);
  const source = new MapWeightSource();
  for (const spec of weightSpecs(config)) {
    const [lo, hi] = rangeFor(spec);
    const count = spec.shape.reduce((a, b) => a * b, 1);
    source.set(spec.name, spec.shape, uniformArray(rand, count, lo, hi));
  }
  return source;
}
