import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  bf16BitsToF32,
  bf16ToF32,
  f16BitsToF32,
  f16ToF32,
  f32ToBf16,
  f32ToBf16Bits,
  f32ToF16,
  f32ToF16Bits,
} from './float-convert';

const isNaNBits16 = (h: number) => (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
const isNaNBitsBf16 = (b: number) => (b & 0x7f80) === 0x7f80 && (b & 0x7f) !== 0;

describe('f16 ↔ f32', () => {
  it('widens every binary16 pattern exactly and narrows it back to the same bits', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const wide = f16ToF32(all);
    const back = f32ToF16(wide);
    for (let h = 0; h < 65536; h++) {
      if (isNaNBits16(h)) {
        assert.ok(Number.isNaN(wide[h]) && isNaNBits16(back[h]), `NaN 0x${h.toString(16)}`);
      } else {
        assert.equal(back[h], h, `0x${h.toString(16)} → ${wide[h]} → 0x${back[h].toString(16)}`);
        assert.equal(wide[h], f16BitsToF32(h));
      }
    }
  });

  it('rounds midpoints between neighbours to even, and just-off-midpoints to the nearer one', () => {
    for (let h = 0; h < 0x7bff; h++) {
      const lo = f16BitsToF32(h);
      const hi = f16BitsToF32(h + 1);
      const mid = (lo + hi) / 2; // exact in float32: one more bit than binary16 has
      assert.equal(f32ToF16Bits(mid), h % 2 === 0 ? h : h + 1, `tie between 0x${h.toString(16)} and next`);
      assert.equal(f32ToF16Bits(mid - (hi - lo) / 1024), h);
      assert.equal(f32ToF16Bits(mid + (hi - lo) / 1024), h + 1);
      assert.equal(f32ToF16Bits(-mid), (h % 2 === 0 ? h : h + 1) | 0x8000);
    }
  });

  it('handles subnormals, underflow, overflow, ±0, ±inf and NaN', () => {
    assert.equal(f16BitsToF32(0x0001), 2 ** -24);
    assert.equal(f16BitsToF32(0x03ff), 1023 * 2 ** -24);
    assert.equal(f32ToF16Bits(2 ** -25), 0x0000, 'exact half of the smallest subnormal ties to even (0)');
    assert.equal(f32ToF16Bits(2 ** -25 * 1.0001), 0x0001);
    assert.equal(f32ToF16Bits(2 ** -26), 0x0000);
    assert.equal(f32ToF16Bits(-0), 0x8000);
    assert.equal(f32ToF16Bits(65504), 0x7bff);
    assert.equal(f32ToF16Bits(65519.99), 0x7bff);
    assert.equal(f32ToF16Bits(65520), 0x7c00, '65520 is the tie that rounds up to inf');
    assert.equal(f32ToF16Bits(1e9), 0x7c00);
    assert.equal(f32ToF16Bits(-Infinity), 0xfc00);
    assert.ok(isNaNBits16(f32ToF16Bits(NaN)));
    assert.equal(f32ToF16Bits(1 / 3), 0x3555);
    assert.equal(f16BitsToF32(0x7c00), Infinity);
  });
});

describe('bf16 ↔ f32', () => {
  it('widens every bfloat16 pattern exactly and narrows it back to the same bits', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const wide = bf16ToF32(all);
    const back = f32ToBf16(wide);
    for (let b = 0; b < 65536; b++) {
      if (isNaNBitsBf16(b)) assert.ok(Number.isNaN(wide[b]) && isNaNBitsBf16(back[b]));
      else assert.equal(back[b], b, `0x${b.toString(16)}`);
      assert.ok(Object.is(wide[b], bf16BitsToF32(b)) || Number.isNaN(wide[b]));
    }
  });

  it('rounds to nearest even, overflowing to inf', () => {
    for (let b = 0x0000; b < 0x7f7f; b += 97) {
      const lo = bf16BitsToF32(b);
      const hi = bf16BitsToF32(b + 1);
      const mid = Math.fround((lo + hi) / 2);
      assert.equal(f32ToBf16Bits(mid), b % 2 === 0 ? b : b + 1);
      assert.equal(f32ToBf16Bits(Math.fround(mid + (hi - lo) / 256)), b + 1);
    }
    assert.equal(f32ToBf16Bits(1 / 3), 0x3eab);
    assert.equal(f32ToBf16Bits(3.4028234663852886e38), 0x7f80, 'max float32 rounds to +inf');
    assert.equal(f32ToBf16Bits(-0), 0x8000);
    assert.ok(isNaNBitsBf16(f32ToBf16Bits(NaN)));
    const signalling = new Float32Array(new Uint32Array([0x7f800001]).buffer)[0];
    assert.ok(isNaNBitsBf16(f32ToBf16Bits(signalling)), 'a NaN whose payload sits in the low bits stays NaN');
  });
});
