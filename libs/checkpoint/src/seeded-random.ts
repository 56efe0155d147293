import { createRng } from '@internvl/generation';

/** FNV-1a hash of a string, for deriving per-tensor seeds. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * The generator (mulberry32, uniform in [0, 1)) for one tensor of a seeded checkpoint: keyed by
 * (seed, tensor name), so a tensor's values do not depend on which other tensors exist (e.g. on
 * the layer count).
 */
export function tensorRandom(seed: number, name: string): () => number {
  return createRng(hashString(`${seed >>> 0}:${name}`));
}
