import { InvalidArgumentError } from '@internvl/errors';
import { RGB_CHANNELS, type RgbImage } from './rgb-image';
import { resizeBicubicScalar } from './resample-scalar';
import { planSimdResizes } from './resample-simd';
import { simdAvailable, withSimdArena } from './simd-module';

export { bicubicCoefficients, type ResampleCoefficients } from './resample-coefficients';
export { resizeBicubicScalar } from './resample-scalar';

/** Whether resizes run on the WebAssembly SIMD kernels (otherwise on the portable scalar code). */
export function simdResampleAvailable(): boolean {
  return simdAvailable();
}

/** Throws unless `width` x `height` is a positive integer size. */
export function checkSize(name: string, width: number, height: number): void {
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width <= 0 || height <= 0) {
    throw new InvalidArgumentError(`${name} size must be positive integers, got ${width}x${height}`);
  }
}

/** Throws unless `src` is a well-formed RGB image. */
export function checkSource(src: RgbImage): void {
  checkSize('source', src.width, src.height);
  const expected = src.width * src.height * RGB_CHANNELS;
  if (src.data.length < expected) {
    throw new InvalidArgumentError(
      `pixel buffer holds ${src.data.length} bytes, expected ${expected} for ${src.width}x${src.height} RGB`,
    );
  }
}

/**
 * Resizes an RGB image to each of `sizes` with Pillow's BICUBIC filter and passes the results to
 * `use`. The images handed to `use` may be views into scratch memory that is reused by the next
 * call: they are valid only until `use` returns. Resizing one source to several sizes in one call
 * shares the work of reading the source.
 */
export function withBicubicResizes<T>(
  src: RgbImage,
  sizes: readonly (readonly [number, number])[],
  use: (images: RgbImage[]) => T,
): T {
  checkSource(src);
  for (const [w, h] of sizes) checkSize('target', w, h);
  if (simdAvailable()) {
    let started = false;
    try {
      return withSimdArena((arena) => {
        const plan = planSimdResizes(arena, src, sizes);
        arena.commit();
        started = true;
        plan.run();
        const heap = arena.heap();
        const images = plan.outputs.map(({ width, height, ptr }) => ({
          width,
          height,
          data: heap.subarray(ptr, ptr + width * height * RGB_CHANNELS),
        }));
        return use(images);
      });
    } catch (err) {
      // Only failing to get the memory falls back to the (slower) scalar path.
      if (started || !(err instanceof RangeError)) throw err;
    }
  }
  return use(sizes.map(([w, h]) => resizeBicubicScalar(src, w, h)));
}

/**
 * Resizes an RGB image with Pillow's BICUBIC filter, bit-exact with Pillow 9.4's
 * `Image.resize((outWidth, outHeight))` on an RGB image. Works for downscaling (antialiased)
 * and upscaling. Returns a new buffer.
 */
export function resizeBicubic(src: RgbImage, outWidth: number, outHeight: number): RgbImage {
  return withBicubicResizes(src, [[outWidth, outHeight]], ([img]) => ({
    width: img.width,
    height: img.height,
    data: img.data.slice(),
  }));
}
