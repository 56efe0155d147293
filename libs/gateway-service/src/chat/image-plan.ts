import { imageCacheKey, resolveImageKeyOptions, type TilingOptions } from '@internvl/contracts';
import type { ChatImage } from '../downstream/preprocess-image';

/** An image with every tiling field decided by the gateway, and the cache key that follows. */
export interface KeyedImage extends ChatImage {
  /**
   * The image's key in the vision tier's embedding cache (what preprocess returns as
   * content_hash for these options); undefined while the served tile size is unknown.
   */
  cacheKey: string | undefined;
}

/**
 * Fills what the preprocess tier would default (min_tiles 1, the served tile size, fp16, the
 * thumbnail) so that the key is known before the image leaves the gateway, and so the tier
 * computes the same key: with no field left to its defaults, both sides hash the same options.
 * `imageSize` undefined (the vision tier has not said) leaves the image as it was, unkeyed.
 */
export function keyImage(image: ChatImage, imageSize: number | undefined): KeyedImage {
  if (imageSize === undefined) return { ...image, cacheKey: undefined };
  const options = resolveImageKeyOptions(image.tiling, imageSize);
  const tiling: TilingOptions = { ...options };
  const cacheKey = imageCacheKey(image.data, options);
  return { ...image, tiling, cacheKey };
}
