import type { TilingOptions as WireTilingOptions } from '@internvl/contracts';
import { readImageHeader } from '@internvl/image-format';
import { planTiles } from '@internvl/imaging';
import { effectiveOptions, type OptionDefaults } from './preprocess-request';

/**
 * The tiles (thumbnail included) the preprocess tier will make of an image, from its header
 * alone (read in pure TypeScript, no pixel decoded): lets a caller refuse a request over a tile
 * or context budget before any decoding. Undefined when the header cannot be read (the tier
 * will say why). Throws InvalidArgumentError for options the tier would refuse.
 */
export function estimateImageTiles(
  image: Uint8Array,
  wire: WireTilingOptions | undefined,
  defaults: OptionDefaults,
): number | undefined {
  const options = effectiveOptions(wire, defaults);
  const header = readImageHeader(image, options.autoOrient);
  if (!header) return undefined;
  return planTiles(header.width, header.height, options.tiling).numTiles;
}
