import { InternalError } from '@internvl/errors';
import { decodeImageRows } from '@internvl/image-decode';
import { preprocessPixels, preprocessSourceRows } from '@internvl/imaging';
import { contentHash } from './preprocess-request';
import type { TileJobInput, TileJobOutput, TileJobShare } from './tile-job';

/**
 * One worker's share of an image: decodes only the source rows its band reads (decoding stops
 * early for the top share) and writes its band's values into the shared pixel_values.
 */
export async function runTileShare(input: TileJobInput, share: TileJobShare): Promise<TileJobOutput> {
  const { options } = input;
  const hash = contentHash(input.image, options);
  const { width, height, band } = share;
  const wanted = preprocessSourceRows(width, height, options.tiling, band);
  const limits = { ...input.limits, autoOrient: options.autoOrient };
  const decoded = await decodeImageRows(input.image, limits, wanted);
  if (decoded.width !== width || decoded.height !== height) {
    throw new InternalError(
      `the image decoded as ${decoded.width}x${decoded.height}, its header said ${width}x${height}`,
    );
  }
  const output = options.dtype === 'float32' ? new Float32Array(share.output) : new Uint16Array(share.output);
  const result = preprocessPixels(decoded, { ...options.tiling, dtype: options.dtype, band, output });
  if (result.data.buffer !== share.output || result.data.length !== output.length) {
    throw new InternalError(
      `the shared pixel_values hold ${output.length} values, not ${result.data.length}`,
    );
  }
  return {
    pixels: new Uint8Array(share.output),
    shape: result.shape,
    cols: result.grid.cols,
    rows: result.grid.rows,
    numTiles: result.numTiles,
    thumbnail: result.thumbnail,
    tiles: new Uint8Array(0),
    contentHash: hash,
    imageWidth: width,
    imageHeight: height,
  };
}
