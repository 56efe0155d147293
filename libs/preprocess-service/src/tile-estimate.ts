import type { TilingOptions as WireTilingOptions } from '@internvl/contracts';
import { readImageHeader } from '@internvl/image-decode';
import { planTiles } from '@internvl/imaging';
import { effectiveOptions, type OptionDefaults } from './preprocess-request';

/**
 * The tiles (thumbnail included) the preprocess tier will make of an image, from its header
 * alone: lets a caller refuse a request over a tile or context budget before any decoding.
 * Undefined when the header cannot be read (the tier will say why). Throws
 * InvalidArgumentError for options the tier would refuse.
 */
export async function estimateImageTiles(
  image: Uint8Array,
  wire: WireTilingOptions | undefined,
  defaults: OptionDefaults,
): Promise<number | undefined> {
  const options = effectiveOptions(wire, defaults);
  const header = await readImageHeader(image, options.autoOrient);
  if (!header) return undefined;
  return planTiles(header.width, header.height, options.tiling).numTiles;
}
