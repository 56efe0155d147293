import { InvalidArgumentError, OutOfRangeError } from '@internvl/errors';
import { estimateImageTiles } from '@internvl/preprocess-service';
import type { ChatImage } from '../downstream/preprocess-image';
import type { ServedModelInfo } from '../downstream/served-model';

/**
 * What can be checked of a chat's images before any is preprocessed, from the request, the
 * served model and the image headers (no pixel decoded): image_size must be the model's, and
 * the images' tiles must fit the llm's context. Returns each image's tile count as its header
 * tells it (undefined where the header cannot be read; the preprocess tier then says why), for
 * the caller's tile budget check.
 */
export async function checkImagesEarly(
  images: ChatImage[],
  model: ServedModelInfo,
): Promise<(number | undefined)[]> {
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
  const defaults = { minTiles: 1, maxTiles: 12, imageSize: imageSize ?? 448, dtype: 'fp16' as const };
  const tiles = await Promise.all(
    images.map(async (image) => {
      try {
        return await estimateImageTiles(image.data, image.tiling, defaults);
      } catch (err) {
        if (err instanceof InvalidArgumentError) {
          throw new InvalidArgumentError(`${image.label}: ${err.message}`, { cause: err });
        }
        throw err;
      }
    }),
  );
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
