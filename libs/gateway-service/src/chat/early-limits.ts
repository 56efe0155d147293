import { InvalidArgumentError, OutOfRangeError } from '@internvl/errors';
import { readImageHeader } from '@internvl/image-format';
import { planTiles } from '@internvl/imaging';
import type { ChatImage } from '../downstream/preprocess-image';
import type { ServedModelInfo } from '../downstream/served-model';

/** InternVL's tile edge, assumed while the vision tier has not said (as the preprocess tier does). */
const DEFAULT_IMAGE_SIZE = 448;

/**
 * The tiles the preprocess tier will make of an image, from its header alone (no pixel decoded);
 * undefined when the header cannot be read (the tier will say why).
 */
function headerTiles(image: ChatImage, imageSize: number): number | undefined {
  const { tiling } = image;
  const header = readImageHeader(image.data, tiling.autoOrient);
  if (!header) return undefined;
  const minNum = tiling.minTiles || 1;
  return planTiles(header.width, header.height, {
    minNum,
    maxNum: Math.max(tiling.maxTiles, minNum),
    imageSize: tiling.imageSize || imageSize,
    useThumbnail: tiling.useThumbnail ?? true,
  }).numTiles;
}

/**
 * What can be checked of a chat's images before any is preprocessed, from the request, the
 * served model and the image headers (no pixel decoded): image_size must be the model's, and
 * the images' tiles must fit the llm's context. Returns each image's tile count as its header
 * tells it (undefined where the header cannot be read; the preprocess tier then says why), for
 * the caller's tile budget check.
 */
export function checkImagesEarly(images: ChatImage[], model: ServedModelInfo): (number | undefined)[] {
  const imageSize = model.imageSize;
  if (imageSize !== undefined) {
    for (const image of images) {
      const asked = image.tiling.imageSize;
      if (asked !== 0 && asked !== imageSize) {
        throw new InvalidArgumentError(
          `${image.label}: tiling.image_size ${asked} does not match the served model, whose tiles are ${imageSize} pixels; send 0 or ${imageSize}`,
        );
      }
    }
  }
  const tiles = images.map((image) => {
    try {
      return headerTiles(image, imageSize ?? DEFAULT_IMAGE_SIZE);
    } catch (err) {
      if (err instanceof InvalidArgumentError) {
        throw new InvalidArgumentError(`${image.label}: ${err.message}`, { cause: err });
      }
      throw err;
    }
  });
  const { tokensPerTile, maxContextTokens } = model;
  if (tokensPerTile !== undefined && maxContextTokens !== undefined) {
    // An image whose header cannot be read makes at least one tile.
    const total = tiles.reduce<number>((sum, n) => sum + (n ?? 1), 0);
    const tokens = total * tokensPerTile;
    if (tokens >= maxContextTokens) {
      throw new OutOfRangeError(
        `the chat's ${images.length} images make ${total} tiles = ${tokens} tokens (${tokensPerTile} per tile), and the model's context is ${maxContextTokens} tokens; send fewer images or lower tiling.max_tiles`,
      );
    }
  }
  return tiles;
}
