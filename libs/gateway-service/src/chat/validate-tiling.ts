import { ElementType, ImageLayout, type TilingOptions } from '@internvl/contracts';
import { InvalidArgumentError } from '@internvl/errors';
import { MAX_TILES_LIMIT } from '@internvl/imaging';

const IMAGE_LAYOUTS = new Set<number>([
  ImageLayout.IMAGE_LAYOUT_UNSPECIFIED,
  ImageLayout.IMAGE_LAYOUT_CONCATENATED,
  ImageLayout.IMAGE_LAYOUT_NUMBERED,
]);
const DTYPES = new Set<number>([
  ElementType.ELEMENT_TYPE_UNSPECIFIED,
  ElementType.ELEMENT_TYPE_FLOAT16,
  ElementType.ELEMENT_TYPE_FLOAT32,
]);

/** ChatInput.image_layout must be a value of ImageLayout (an unknown one used to pass silently). */
export function validateImageLayout(layout: number): void {
  if (!IMAGE_LAYOUTS.has(layout)) {
    throw new InvalidArgumentError(
      `image_layout ${layout} is not a known ImageLayout; use IMAGE_LAYOUT_UNSPECIFIED (0), IMAGE_LAYOUT_CONCATENATED (1) or IMAGE_LAYOUT_NUMBERED (2)`,
    );
  }
}

/**
 * Checks an image's tiling options from the request alone (the served model's image size is
 * checked once known): tile counts 0 (default) to 40 with max ≥ min, a non-negative image_size
 * and a known dtype. Errors start with the image's label and name the field.
 */
export function validateImageTiling(tiling: TilingOptions | undefined, label: string): void {
  if (!tiling) return;
  const { minTiles, maxTiles, imageSize, dtype } = tiling;
  for (const [field, value] of [
    ['min_tiles', minTiles],
    ['max_tiles', maxTiles],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0 || value > MAX_TILES_LIMIT) {
      throw new InvalidArgumentError(
        `${label}: tiling.${field} ${value} is out of range; use 1 to ${MAX_TILES_LIMIT} (0 = the default)`,
      );
    }
  }
  if (maxTiles > 0 && maxTiles < minTiles) {
    throw new InvalidArgumentError(
      `${label}: tiling.max_tiles ${maxTiles} is below tiling.min_tiles ${minTiles}; send max_tiles ≥ min_tiles`,
    );
  }
  if (!Number.isSafeInteger(imageSize) || imageSize < 0) {
    throw new InvalidArgumentError(
      `${label}: tiling.image_size ${imageSize} is out of range; leave it 0 (the model's tile size)`,
    );
  }
  if (!DTYPES.has(dtype)) {
    throw new InvalidArgumentError(
      `${label}: tiling.dtype ${dtype} is not supported; use ELEMENT_TYPE_FLOAT16 (1), ELEMENT_TYPE_FLOAT32 (2) or 0 (the default)`,
    );
  }
}
