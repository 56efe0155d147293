import { createHash } from 'node:crypto';
import { ElementType, type TilingOptions as WireTilingOptions } from '@internvl/contracts';
import { InvalidArgumentError } from '@internvl/errors';
import { resolveTilingOptions, type ResolvedTilingOptions } from '@internvl/imaging';
import { checkTilingBounds } from './tiling-bounds';

export type PixelDType = 'fp16' | 'fp32';

/** Effective per-request options: the request's values over the tier's defaults, validated. */
export interface EffectiveOptions {
  tiling: ResolvedTilingOptions;
  dtype: PixelDType;
  autoOrient: boolean;
}

export interface OptionDefaults {
  minTiles: number;
  maxTiles: number;
  imageSize: number;
  dtype: PixelDType;
  /** Largest image_size a request may ask for besides `imageSize` (default 1024). */
  maxImageSize?: number;
}

export function dtypeFromWire(type: ElementType, fallback: PixelDType): PixelDType {
  switch (type) {
    case ElementType.ELEMENT_TYPE_UNSPECIFIED:
      return fallback;
    case ElementType.ELEMENT_TYPE_FLOAT16:
      return 'fp16';
    case ElementType.ELEMENT_TYPE_FLOAT32:
      return 'fp32';
    default:
      throw new InvalidArgumentError(
        `options.dtype ${String(type)} is not supported; use FLOAT16 or FLOAT32`,
      );
  }
}

export function dtypeToWire(dtype: PixelDType): ElementType {
  return dtype === 'fp16' ? ElementType.ELEMENT_TYPE_FLOAT16 : ElementType.ELEMENT_TYPE_FLOAT32;
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
    dtype: dtypeFromWire(wire?.dtype ?? ElementType.ELEMENT_TYPE_UNSPECIFIED, defaults.dtype),
    autoOrient: wire?.autoOrient ?? false,
  };
}

/**
 * Cache key of the preprocess result: SHA-256 over the image bytes and every option that
 * changes pixel_values. The vision tier keys its embedding cache by it.
 */
export function contentHash(image: Uint8Array, options: EffectiveOptions): string {
  const { tiling, dtype, autoOrient } = options;
  const canonical = JSON.stringify([
    tiling.minNum,
    tiling.maxNum,
    tiling.imageSize,
    tiling.useThumbnail,
    dtype,
    autoOrient,
  ]);
  return createHash('sha256').update(image).update('\0').update(canonical).digest('hex');
}
