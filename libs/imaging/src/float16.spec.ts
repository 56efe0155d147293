import assert from 'node:assert/strict';
import { test } from 'node:test';
import { float16BitsToNumber, float32ToFloat16Bits } from './float16';

test('every finite half value round-trips exactly', () => {
  for (let h = 0; h < 0x10000; h++) {
    const v = float16BitsToNumber(h);
    if (Number.isNaN(v)) continue;
    assert.equal(float32ToFloat16Bits(v), h, `bits ${h.toString(16)}`);
  }
});

test('edge cases: zeros, infinities, NaN, overflow, subnormals and ties to even', () => {
  const cases: [number, number][] = [
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [65504, 0x7bff], // largest finite half
    [65519.99, 0x7bff], // below the midpoint to 65536 rounds down
    [65520, 0x7c00], // the midpoint rounds to even, i.e. to infinity
    [1e10, 0x7c00],
    [-1e10, 0xfc00],
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
    [2 ** -14, 0x0400], // smallest normal
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -25, 0x0000], // half of it: a tie, rounds to even (zero)
    [1.5 * 2 ** -25, 0x0001],
    [3 * 2 ** -25, 0x0002], // tie between 1 and 2 subnormal steps: even is 2
    [-(2 ** -24), 0x8001],
    [2 ** -14 - 2 ** -25, 0x0400], // largest subnormal + half a step rounds (to even) up into the normals
    [1 + 2 ** -11, 0x3c00], // tie: stays on the even mantissa
    [1 + 3 * 2 ** -11, 0x3c02], // tie: rounds up to the even mantissa
    [1 + 2 ** -11 + 2 ** -20, 0x3c01],
    [1e-40, 0x0000], // a float32 subnormal
    [-1e-40, 0x8000],
  ];
  for (const [value, bits] of cases) {
    assert.equal(
      float32ToFloat16Bits(value),
      bits,
      `${value} -> 0x${float32ToFloat16Bits(value).toString(16)}`,
    );
  }
  const nan = float32ToFloat16Bits(NaN);
  assert.equal(nan & 0x7c00, 0x7c00);
  assert.notEqual(nan & 0x03ff, 0);
  assert.ok(Number.isNaN(float16BitsToNumber(nan)));
});

test('rounding is to the nearest half for random float32 values', () => {
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  let s = 12345;
  for (let i = 0; i < 20000; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    const mantissa = s & 0x7fffff;
    s = (s * 1664525 + 1013904223) >>> 0;
    // Exponents from 2^-30 (below the subnormals) to 2^16 (near overflow).
    const exponent = 97 + (s % 47);
    u[0] = ((s & 0x80000000) | (exponent << 23) | mantissa) >>> 0;
    const x = f[0];
    if (!Number.isFinite(x) || Math.abs(x) >= 65520) continue;
    const h = float32ToFloat16Bits(x);
    const v = float16BitsToNumber(h);
    const up = float16BitsToNumber(h + 1);
    const down = float16BitsToNumber(h === 0x8000 ? 0x0001 : h - 1);
    for (const n of [up, down]) {
      if (!Number.isFinite(n)) continue;
      const better = Math.abs(n - x) < Math.abs(v - x);
      const tieLost = Math.abs(n - x) === Math.abs(v - x) && (h & 1) === 1;
      assert.ok(!better && !tieLost, `${x} -> ${v} (0x${h.toString(16)})`);
    }
  }
});
