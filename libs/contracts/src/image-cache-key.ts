import { createHash } from 'node:crypto';
import type { TilingOptions } from './gen/internvl/v1/preprocess.pb';
import { ElementType } from './gen/internvl/v1/tensor.pb';

/** Every option that changes an image's pixel_values, with no field left to a tier's default. */
export interface ImageKeyOptions {
  minTiles: number;
  maxTiles: number;
  imageSize: number;
  useThumbnail: boolean;
  dtype: ElementType.ELEMENT_TYPE_FLOAT16 | ElementType.ELEMENT_TYPE_FLOAT32;
  autoOrient: boolean;
}

/**
 * The key of an image's pixel_values and embeddings: SHA-256 over the encoded bytes and the
 * resolved options. The preprocess tier returns it as content_hash and the vision tier keys its
 * embedding cache by it; the gateway computes it before anything is preprocessed, so an image
 * already embedded skips decoding, tiling and the pixel transfer.
 */
export function imageCacheKey(image: Uint8Array, options: ImageKeyOptions): string {
  const canonical = JSON.stringify([
    options.minTiles,
    options.maxTiles,
    options.imageSize,
    options.useThumbnail,
    options.dtype === ElementType.ELEMENT_TYPE_FLOAT16 ? 'fp16' : 'fp32',
    options.autoOrient,
  ]);
  return createHash('sha256').update(image).update('\0').update(canonical).digest('hex');
}

/**
 * A request's tiling with every field the preprocess tier would default filled in (min_tiles 1,
 * max_tiles `defaultMaxTiles` (never below min), `imageSize`, the thumbnail on, fp16): the
 * options the key is computed from, and that a caller sends so the tier computes the same key.
 */
export function resolveImageKeyOptions(
  tiling: TilingOptions,
  imageSize: number,
  defaultMaxTiles = 12,
): ImageKeyOptions {
  const minTiles = tiling.minTiles || 1;
  return {
    minTiles,
    maxTiles: tiling.maxTiles || Math.max(defaultMaxTiles, minTiles),
    imageSize: tiling.imageSize || imageSize,
    useThumbnail: tiling.useThumbnail ?? true,
    dtype:
      tiling.dtype === ElementType.ELEMENT_TYPE_FLOAT32
        ? ElementType.ELEMENT_TYPE_FLOAT32
        : ElementType.ELEMENT_TYPE_FLOAT16,
    autoOrient: tiling.autoOrient,
  };
}
