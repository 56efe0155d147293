// Shared by the *.spec.ts files only; not exported from the package.
import { strict as assert } from 'node:assert';

/** Asserts |a−b| ≤ atol + rtol·|b| elementwise, naming the first offending index. */
export function assertClose(
  actual: Float32Array,
  expected: Float32Array,
  atol: number,
  rtol: number,
  what: string,
): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const b = expected[i];
    if (!(Math.abs(a - b) <= atol + rtol * Math.abs(b))) assert.fail(`${what}[${i}] = ${a}, expected ${b}`);
  }
}

/** Largest |a−b| over two arrays of equal length. */
export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Deterministic pseudo-random token ids in [lo, hi). */
export function tokenIds(count: number, lo: number, hi: number, seed = 1): number[] {
  const ids: number[] = [];
  let s = seed;
  for (let i = 0; i < count; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    ids.push(lo + (s % (hi - lo)));
  }
  return ids;
}
