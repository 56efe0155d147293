import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { erf, gelu, geluInPlace } from './erf-gelu';

test('erf matches known values to 1e-15 (brief values plus every FDLIBM interval)', () => {
  const known: Array<[number, number]> = [
    [0.5, 0.5204998778130465],
    [1, 0.8427007929497149],
    [2, 0.9953222650189527],
    // −0.32862675945912741619 (30-digit mpmath); the often-quoted …591112 is off by 1.6e-14.
    [-0.3, -0.3286267594591274],
    [0.1, 0.1124629160182849],
    [0.9, 0.7969082124228322],
    [1.3, 0.9340079449406524],
    [2.5, 0.999593047982555],
    [3.5, 0.9999992569016276],
    [5, 0.9999999999984626],
    [-4.2, -0.9999999971445058],
    [1e-10, 1.1283791670955126e-10],
  ];
  for (const [x, want] of known)
    assert.ok(Math.abs(erf(x) - want) < 1e-15, `erf(${x}) = ${erf(x)}, want ${want}`);
  assert.equal(erf(0), 0);
  assert.equal(erf(7), 1);
  assert.equal(erf(-30), -1);
  assert.ok(Number.isNaN(erf(NaN)));
});

test('erf is odd and monotonic across interval boundaries', () => {
  let prev = -1;
  for (let x = -6.5; x <= 6.5; x += 0.001) {
    const y = erf(x);
    assert.ok(Math.abs(y + erf(-x)) < 1e-16, `odd at ${x}`);
    assert.ok(y >= prev, `monotonic at ${x}`);
    prev = y;
  }
});

test('gelu is the exact erf form, not the tanh approximation', () => {
  const known: Array<[number, number]> = [
    [1, 0.8413447460685429],
    [-1, -0.15865525393145707],
    [2, 1.9544997361036416],
    [0.5, 0.34573123063700656],
    [-3, -0.00404969409489031],
  ];
  for (const [x, want] of known) assert.ok(Math.abs(gelu(x) - want) < 1e-15, `gelu(${x})`);
  // The tanh form differs by up to 4.7e-4 (at x ≈ −2.7); exact GELU must not be that one.
  const tanhGelu = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
  assert.ok(Math.abs(gelu(-2.7) - tanhGelu(-2.7)) > 4e-4);
  assert.deepEqual(
    [...geluInPlace(new Float32Array([1, -1]))],
    [Math.fround(gelu(1)), Math.fround(gelu(-1))],
  );
});
