/** Deterministic values in [−amplitude/2, amplitude/2). */
export function seededValues(length: number, seed: number, amplitude = 1): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * amplitude;
  });
}
