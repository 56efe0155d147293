import {
  ElementType,
  floatTypeFromWire,
  imageCacheKey,
  type TilingOptions as WireTilingOptions,
} from '@internvl/contracts';
import type { FloatType } from '@internvl/float-formats';
import { resolveTilingOptions, type ResolvedTilingOptions } from '@internvl/imaging';
import { checkTilingBounds } from './tiling-bounds';

/** Effective per-request options: the request's values over the tier's defaults, validated. */
export interface EffectiveOptions {
  tiling: ResolvedTilingOptions;
  dtype: FloatType;
  autoOrient: boolean;
}

export interface OptionDefaults {
  minTiles: number;
  maxTiles: number;
  imageSize: number;
  dtype: FloatType;
  /** Largest image_size a request may ask for besides `imageSize` (default 1024). */
  maxImageSize?: number;
}

/** Applies defaults (zero = "not set") and validates; errors name the field. */
export function effectiveOptions(
  wire: WireTilingOptions | undefined,
  defaults: OptionDefaults,
): EffectiveOptions {
  checkTilingBounds(wire, defaults);
  const minNum = wire?.minTiles || defaults.minTiles;
  // A request that only raises min_tiles above the default max gets max = min, not an error.
  const maxNum = wire?.maxTiles || Math.max(defaults.maxTiles, minNum);
  const tiling = resolveTilingOptions({
    minNum,
    maxNum,
    imageSize: wire?.imageSize || defaults.imageSize,
    useThumbnail: wire?.useThumbnail ?? true,
  });
  return {
    tiling,
    dtype: floatTypeFromWire(
      wire?.dtype ?? ElementType.ELEMENT_TYPE_UNSPECIFIED,
      'options.dtype',
      defaults.dtype,
    ),
    autoOrient: wire?.autoOrient ?? false,
  };
}

/**
 * Cache key of the preprocess result: SHA-256 over the image bytes and every option that
 * changes pixel_values. The vision tier keys its embedding cache by it.
 */
export function contentHash(image: Uint8Array, options: EffectiveOptions): string {
  const { tiling, dtype, autoOrient } = options;
  return imageCacheKey(image, {
    minTiles: tiling.minNum,
    maxTiles: tiling.maxNum,
    imageSize: tiling.imageSize,
    useThumbnail: tiling.useThumbnail,
    dtype: dtype === 'float16' ? ElementType.ELEMENT_TYPE_FLOAT16 : ElementType.ELEMENT_TYPE_FLOAT32,
    autoOrient,
  });
}
