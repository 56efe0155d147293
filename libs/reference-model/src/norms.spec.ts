import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { layerNorm, rmsNorm } from './norms';

function close(actual: Float32Array, want: number[], tol: number, what: string) {
  assert.equal(actual.length, want.length, what);
  actual.forEach((a, i) => assert.ok(Math.abs(a - want[i]) <= tol, `${what}[${i}] = ${a}, want ${want[i]}`));
}

test('rmsNorm: x·rsqrt(mean(x²)+eps)·w, per row', () => {
  const x = new Float32Array([1, 2, 3, 4, 2, 4, 6, 8]);
  const y = rmsNorm(x, 2, 4, new Float32Array([1, 1, 1, 2]), 1e-5);
  // mean(x²) = 7.5 → 1/sqrt(7.50001) = 0.36514812823810…
  close(
    y.subarray(0, 4),
    [0.3651481282381064, 0.7302962564762128, 1.0954443847143192, 2.921185025904851],
    1e-7,
    'row0',
  );
  // Row 1 is row 0 doubled: RMSNorm is scale invariant up to eps (mean(x²) = 30 here).
  close(
    y.subarray(4),
    [0.36514831081206406, 0.7302966216241281, 1.0954449324361921, 2.9211864864965125],
    1e-6,
    'row1',
  );
});

test('layerNorm: (x−mean)/sqrt(var+eps)·w + b with biased variance', () => {
  const x = new Float32Array([1, 2, 3, 4]);
  const y = layerNorm(x, 1, 4, new Float32Array([1, 2, 1, 1]), new Float32Array([0, 0, 0.5, 0]), 1e-5);
  // mean 2.5, var 1.25 → (x−2.5)/sqrt(1.25001)
  close(y, [-1.3416354199689269, -0.894423613312618, 0.947211806656309, 1.3416354199689269], 1e-6, 'ln');
});

test('layerNorm of a constant row is the bias (eps keeps it finite)', () => {
  const y = layerNorm(
    new Float32Array([5, 5, 5]),
    1,
    3,
    new Float32Array([2, 2, 2]),
    new Float32Array([0.1, 0.2, 0.3]),
    1e-6,
  );
  close(y, [0.1, 0.2, 0.3], 1e-7, 'const');
});
