/**
 * IEEE 754 binary16 conversion. Node 20 has no Float16Array, so half-precision values travel as
 * their bit patterns in a Uint16Array.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * Converts a number to the bit pattern of the nearest binary16 value, rounding to nearest with
 * ties to even (like `torch.Tensor.half()` / `numpy.float16`). The number is first rounded to
 * float32, so pass float32 values for a single, exact rounding. Handles signed zeros,
 * subnormals, overflow to infinity, infinities and NaN (kept quiet, with its sign).
 */
export function float32ToFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return mant !== 0 ? sign | 0x7e00 | (mant >>> 13) : sign | 0x7c00;
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e >= 1) {
    let half = sign | (e << 10) | (mant >>> 13);
    const rest = mant & 0x1fff;
    // A carry out of the mantissa correctly bumps the exponent (up to infinity).
    if (rest > 0x1000 || (rest === 0x1000 && (half & 1) !== 0)) half++;
    return half;
  }
  // Half subnormal: value = m * 2^-24, m = full >> shift rounded to nearest even. Anything
  // below 2^-25 (including float32 zeros and subnormals) rounds to a signed zero.
  const shift = 14 - e;
  if (shift > 24) return sign;
  const full = mant | 0x800000;
  let m = full >>> shift;
  const rest = full & ((1 << shift) - 1);
  const halfway = 1 << (shift - 1);
  if (rest > halfway || (rest === halfway && (m & 1) !== 0)) m++;
  return sign | m;
}

/** The value of a binary16 bit pattern (exact). */
export function float16BitsToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant !== 0 ? NaN : sign * Infinity;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}
