import { InvalidArgumentError } from '@internvl/errors';

/** A source of uniform floats in [0, 1). */
export type Rng = () => number;

/**
 * Mulberry32 (Tommy Ettinger's 32-bit-state generator): tiny, fast and good enough for drawing
 * one token per step; not cryptographic. The same seed always gives the same sequence, on every
 * platform, because it uses only 32-bit integer arithmetic (Math.imul).
 *
 * `seed` is any safe integer (negative too, as int64 seeds arrive over gRPC); its high and low
 * 32-bit halves are folded together so seeds above 2^32 still differ.
 */
export function createRng(seed: number): Rng {
  if (!Number.isSafeInteger(seed)) {
    throw new InvalidArgumentError(`seed must be a safe integer, got ${seed}`);
  }
  const low = seed >>> 0;
  const high = Math.floor(seed / 2 ** 32) >>> 0;
  let state = (low ^ Math.imul(high, 0x9e3779b9)) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
