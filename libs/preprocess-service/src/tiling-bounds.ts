import type { TilingOptions as WireTilingOptions } from '@internvl/contracts';
import { InvalidArgumentError } from '@internvl/errors';
import { MAX_TILES_LIMIT } from '@internvl/imaging';

/** Default of `--max-image-size`: the largest tile edge a request may ask for other than the tier's own. */
export const DEFAULT_MAX_IMAGE_SIZE = 1024;

const MAX_IMAGE_SIZE_OPTION = '--max-image-size (INTERNVL_PREPROCESS_MAX_IMAGE_SIZE)';

/**
 * Bounds a request's tiling options before anything is decoded: tile counts 0 (default) to
 * {@link MAX_TILES_LIMIT}, and image_size 0 (default), the tier's own `--image-size`, or at most
 * `maxImageSize` (the tile buffers grow with its square: 3000 took 1.2 GB). Errors name the
 * wire field and the allowed values.
 */
export function checkTilingBounds(
  wire: WireTilingOptions | undefined,
  defaults: { imageSize: number; maxImageSize?: number },
): void {
  if (!wire) return;
  for (const [field, value] of [
    ['min_tiles', wire.minTiles],
    ['max_tiles', wire.maxTiles],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0 || value > MAX_TILES_LIMIT) {
      throw new InvalidArgumentError(
        `options.${field} ${value} is out of range; use 1 to ${MAX_TILES_LIMIT} (0 = the default)`,
      );
    }
  }
  const size = wire.imageSize;
  const max = Math.max(defaults.maxImageSize ?? DEFAULT_MAX_IMAGE_SIZE, defaults.imageSize);
  if (!Number.isSafeInteger(size) || size < 0 || size > max) {
    throw new InvalidArgumentError(
      `options.image_size ${size} is out of range; use 0 (the default, ${defaults.imageSize}) or at most ${max} ` +
        `(the model's tile size is ${defaults.imageSize}; raise ${MAX_IMAGE_SIZE_OPTION} to allow more)`,
    );
  }
}
