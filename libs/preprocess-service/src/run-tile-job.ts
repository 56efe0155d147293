import { decodeImage } from '@internvl/image-decode';
import { preprocessPixels } from '@internvl/imaging';
import { contentHash } from './preprocess-request';
import { runTileShare } from './run-tile-share';
import type { TileJobInput, TileJobOutput } from './tile-job';

/** The whole CPU-heavy path: hash, decode, resize, crop, normalize (in a worker, or in-process for --local). */
export async function runTileJob(input: TileJobInput): Promise<TileJobOutput> {
  if (input.share) return runTileShare(input, input.share);
  const { options } = input;
  const hash = contentHash(input.image, options);
  const decoded = await decodeImage(input.image, { ...input.limits, autoOrient: options.autoOrient });
  const result = preprocessPixels(decoded, {
    ...options.tiling,
    dtype: options.dtype,
    returnTiles: input.returnTiles,
  });
  const pixels = new Uint8Array(result.data.buffer, result.data.byteOffset, result.data.byteLength);
  let tiles = new Uint8Array(0);
  if (input.returnTiles && result.tiles) {
    tiles = new Uint8Array(result.tiles.reduce((n, t) => n + t.byteLength, 0));
    let offset = 0;
    for (const tile of result.tiles) {
      tiles.set(tile, offset);
      offset += tile.byteLength;
    }
  }
  return {
    pixels,
    shape: result.shape,
    cols: result.grid.cols,
    rows: result.grid.rows,
    numTiles: result.numTiles,
    thumbnail: result.thumbnail,
    tiles,
    contentHash: hash,
    imageWidth: decoded.width,
    imageHeight: decoded.height,
  };
}
