import { RGB_CHANNELS, type RgbImage } from './rgb-image';
import {
  bicubicCoefficients,
  HALF,
  PRECISION_BITS,
  type ResampleCoefficients,
} from './resample-coefficients';

/**
 * Horizontal pass: every source row into `dst` (width `coeffs.starts.length`). `dst` is a
 * clamped view, so storing `sum >> 22` performs Pillow's clip8.
 */
function resampleHorizontal(src: RgbImage, coeffs: ResampleCoefficients, dst: Uint8ClampedArray): void {
  const { ksize, starts, counts, weights } = coeffs;
  const data = src.data;
  const outWidth = starts.length;
  const srcStride = src.width * RGB_CHANNELS;
  let o = 0;
  for (let yy = 0; yy < src.height; yy++) {
    const rowBase = yy * srcStride;
    for (let xx = 0; xx < outWidth; xx++) {
      let p = rowBase + starts[xx] * RGB_CHANNELS;
      let k = xx * ksize;
      const kEnd = k + counts[xx];
      let s0 = HALF;
      let s1 = HALF;
      let s2 = HALF;
      for (; k < kEnd; k++, p += RGB_CHANNELS) {
        const w = weights[k];
        s0 = (s0 + Math.imul(data[p], w)) | 0;
        s1 = (s1 + Math.imul(data[p + 1], w)) | 0;
        s2 = (s2 + Math.imul(data[p + 2], w)) | 0;
      }
      dst[o] = s0 >> PRECISION_BITS;
      dst[o + 1] = s1 >> PRECISION_BITS;
      dst[o + 2] = s2 >> PRECISION_BITS;
      o += RGB_CHANNELS;
    }
  }
}

/** Vertical pass over rows of `rowBytes` bytes; each byte is independent of the channel layout. */
function resampleVertical(
  src: Uint8Array | Uint8ClampedArray,
  rowBytes: number,
  coeffs: ResampleCoefficients,
  dst: Uint8ClampedArray,
): void {
  const { ksize, starts, counts, weights } = coeffs;
  const outHeight = starts.length;
  for (let yy = 0; yy < outHeight; yy++) {
    const kBase = yy * ksize;
    const kEnd = kBase + counts[yy];
    const rowBase = starts[yy] * rowBytes;
    const o = yy * rowBytes;
    for (let x = 0; x < rowBytes; x++) {
      let s = HALF;
      for (let k = kBase, p = rowBase + x; k < kEnd; k++, p += rowBytes) {
        s = (s + Math.imul(src[p], weights[k])) | 0;
      }
      dst[o + x] = s >> PRECISION_BITS;
    }
  }
}

/**
 * Portable scalar BICUBIC resize: a direct port of Pillow's loops (horizontal pass, rounded to
 * uint8, then vertical pass). Used when WebAssembly SIMD is unavailable, and by tests as the
 * reference for the SIMD kernels. Arguments are assumed valid (see `resizeBicubic`).
 */
export function resizeBicubicScalar(src: RgbImage, outWidth: number, outHeight: number): RgbImage {
  const needHorizontal = outWidth !== src.width;
  const needVertical = outHeight !== src.height;
  if (!needHorizontal && !needVertical) {
    return {
      width: outWidth,
      height: outHeight,
      data: src.data.slice(0, outWidth * outHeight * RGB_CHANNELS),
    };
  }
  let mid: Uint8Array | Uint8ClampedArray = src.data;
  if (needHorizontal) {
    const buf = new Uint8ClampedArray(src.height * outWidth * RGB_CHANNELS);
    resampleHorizontal(src, bicubicCoefficients(src.width, outWidth), buf);
    mid = buf;
  }
  if (needVertical) {
    const out = new Uint8ClampedArray(outHeight * outWidth * RGB_CHANNELS);
    resampleVertical(mid, outWidth * RGB_CHANNELS, bicubicCoefficients(src.height, outHeight), out);
    mid = out;
  }
  return { width: outWidth, height: outHeight, data: new Uint8Array(mid.buffer, mid.byteOffset, mid.length) };
}
