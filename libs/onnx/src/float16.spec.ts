import assert from 'node:assert/strict';
import { test } from 'node:test';
import { float16BitsOf, fromFloat16, toFloat16 } from './float16';

test('every finite float16 survives a round trip through float32', () => {
  const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
  const back = toFloat16(fromFloat16(all));
  for (let h = 0; h < 65536; h++) {
    const isNaN = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
    if (isNaN) assert.ok(Number.isNaN(fromFloat16(Uint16Array.of(h))[0]));
    else assert.equal(back[h], h, `half 0x${h.toString(16)}`);
  }
});

test('known values encode to their IEEE bits', () => {
  const cases: [number, number][] = [
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [65504, 0x7bff], // largest finite
    [65519, 0x7bff], // just below the Inf rounding boundary
    [65520, 0x7c00], // ties to even -> Inf
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
    [2 ** -14, 0x0400], // smallest normal
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -25, 0x0000], // halfway to the smallest subnormal: ties to even (0)
    [1.5 * 2 ** -25, 0x0001],
    [3 * 2 ** -25, 0x0002], // 1.5 subnormal ulps: ties to even (2)
    [2 ** -14 - 2 ** -25, 0x0400], // rounds up out of the subnormal range
    [1 + 2 ** -11, 0x3c00], // halfway between 1 and next: ties to even
    [1 + 3 * 2 ** -11, 0x3c02],
  ];
  for (const [v, bits] of cases) assert.equal(float16BitsOf(v), bits, `value ${v}`);
  assert.ok(Number.isNaN(fromFloat16(Uint16Array.of(float16BitsOf(NaN)))[0]));
});

test('midpoints between neighbouring halves round to the even one, anything past them rounds away', () => {
  const halves = Uint16Array.from({ length: 0x7bff }, (_, i) => i); // all non-negative finite pairs
  const values = fromFloat16(halves);
  for (let h = 0; h < halves.length - 1; h++) {
    const mid = (values[h] + values[h + 1]) / 2; // exact in float32 (12 significant bits)
    const even = (h & 1) === 0 ? h : h + 1;
    assert.equal(float16BitsOf(mid), even);
    assert.equal(float16BitsOf(-mid), even | 0x8000);
    const above = Math.fround(mid + (values[h + 1] - values[h]) / 1024);
    assert.equal(float16BitsOf(above), h + 1);
  }
});

test('fromFloat16 decodes subnormals, normals and infinities exactly', () => {
  const out = fromFloat16(Uint16Array.of(0x0001, 0x03ff, 0x3555, 0x7c00, 0xfc00));
  assert.deepEqual(Array.from(out), [2 ** -24, 1023 * 2 ** -24, 0.333251953125, Infinity, -Infinity]);
});
