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
 * mulberry32: a small, fast 32-bit PRNG returning uniform floats in [0, 1). Same seed, same
 * sequence on every platform.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The generator for one tensor of a seeded checkpoint: keyed by (seed, tensor name), so a
 * tensor's values do not depend on which other tensors exist (e.g. on the layer count).
 */
export function tensorRandom(seed: number, name: string): () => number {
  return mulberry32(hashString(`${seed >>> 0}:${name}`));
}
