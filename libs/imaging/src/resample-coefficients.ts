/**
 * Filter coefficients of Pillow 9.4's BICUBIC resampling (`src/libImaging/Resample.c`:
 * `precompute_coeffs` + `normalize_coeffs_8bpc`), shared by the scalar and SIMD passes.
 *
 * Pillow resamples separably: a horizontal pass whose results are rounded to uint8, then a
 * vertical pass over that intermediate image. Weights are computed in double exactly as in C,
 * normalized, then scaled to fixed point with 22 fractional bits; sums start at one half so the
 * final shift rounds. With the same integer weights, every sum equals Pillow's.
 */

/** Fractional bits of the fixed-point weights (`32 - 8 - 2` in Pillow). */
export const PRECISION_BITS = 32 - 8 - 2;
/** One half in fixed point: the initial value of every sum, so the final shift rounds. */
export const HALF = 1 << (PRECISION_BITS - 1);
const FIXED_ONE = 1 << PRECISION_BITS;
const BICUBIC_SUPPORT = 2.0;

/** Pillow's bicubic kernel with a = -0.5, evaluated in the same operation order. */
function bicubicFilter(x: number): number {
  const a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

/** Fixed-point filter taps for one axis: output `i` reads `counts[i]` inputs from `starts[i]`. */
export interface ResampleCoefficients {
  /** Stride of `weights` per output position. */
  ksize: number;
  starts: Int32Array;
  counts: Int32Array;
  /** `outSize * ksize` weights with {@link PRECISION_BITS} fractional bits. */
  weights: Int32Array;
}

const coefficientCache = new Map<string, ResampleCoefficients>();
const COEFFICIENT_CACHE_LIMIT = 64;

/**
 * Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc` for the whole input range
 * (`box = (0, inSize)`). Results are cached: images of the same size reuse their tables.
 */
export function bicubicCoefficients(inSize: number, outSize: number): ResampleCoefficients {
  const cacheKey = `${inSize}>${outSize}`;
  const cached = coefficientCache.get(cacheKey);
  if (cached !== undefined) return cached;

  // The box edges are C floats; whole numbers below 2^24 are exact, so in1 - in0 == inSize.
  const in0 = 0;
  const scale = inSize / outSize;
  const filterScale = scale < 1.0 ? 1.0 : scale;
  const support = BICUBIC_SUPPORT * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const starts = new Int32Array(outSize);
  const counts = new Int32Array(outSize);
  const weights = new Int32Array(outSize * ksize);
  const taps = new Float64Array(ksize);
  const ss = 1.0 / filterScale;

  for (let xx = 0; xx < outSize; xx++) {
    const center = in0 + (xx + 0.5) * scale;
    // (int) casts in C truncate toward zero.
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0.0;
    for (let x = 0; x < xmax; x++) {
      const w = bicubicFilter((x + xmin - center + 0.5) * ss);
      taps[x] = w;
      ww += w;
    }
    const base = xx * ksize;
    for (let x = 0; x < xmax; x++) {
      const k = ww !== 0.0 ? taps[x] / ww : taps[x];
      weights[base + x] = k < 0 ? Math.trunc(-0.5 + k * FIXED_ONE) : Math.trunc(0.5 + k * FIXED_ONE);
    }
    starts[xx] = xmin;
    counts[xx] = xmax;
  }

  const coeffs: ResampleCoefficients = { ksize, starts, counts, weights };
  if (coefficientCache.size >= COEFFICIENT_CACHE_LIMIT) coefficientCache.clear();
  coefficientCache.set(cacheKey, coeffs);
  return coeffs;
}
