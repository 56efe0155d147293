import { InvalidArgumentError } from '@internvl/errors';
import { checkSize } from './resample-bicubic';
import { RGB_CHANNELS, rowsAtHand, type RgbImage, type RgbRows } from './rgb-image';
import { bandRowRange, bandSourceRows, checkBand, type RowBand } from './row-band';
import { planTiles, resizeTargets, tileSources, type TilePlan, type TilingOptions } from './tiling';

/** The rows `[start, end)` of tile `tile` (counted from the tile's top) that a band computes. */
export interface TileRows {
  tile: number;
  start: number;
  end: number;
}

/**
 * The source rows `[top, top + rows)` that `band` of preprocessing a `width` x `height` image
 * reads: a worker given that share needs to decode only these.
 */
export function preprocessSourceRows(
  width: number,
  height: number,
  opts: TilingOptions,
  band: RowBand,
): { top: number; rows: number } {
  checkBand(band);
  const plan = planTiles(width, height, opts);
  return bandSourceRows(
    height,
    resizeTargets(plan).map(([, h]) => h),
    band,
  );
}

/** Whether `band` of `image` is the whole job: all output rows, computed from the whole image. */
export function isWholeJob(image: RgbImage | RgbRows, band: RowBand): boolean {
  const { top, rows } = rowsAtHand(image);
  return band.from === 0 && band.to === 1 && top === 0 && rows === image.height;
}

/** Throws unless `image` is well formed and holds every source row that `band` of `plan` reads. */
export function checkBandSource(image: RgbImage | RgbRows, plan: TilePlan, band: RowBand): void {
  checkBand(band);
  checkSize('source', image.width, image.height);
  const { top, rows } = rowsAtHand(image);
  if (!Number.isSafeInteger(top) || !Number.isSafeInteger(rows) || top < 0 || rows < 0) {
    throw new InvalidArgumentError(`source rows must be non-negative integers, got ${rows} from ${top}`);
  }
  if (top + rows > image.height || image.data.length < rows * image.width * RGB_CHANNELS) {
    throw new InvalidArgumentError(
      `pixel buffer of ${image.data.length} bytes cannot hold rows ${top}..${top + rows} of a ${image.width}x${image.height} RGB image`,
    );
  }
  const needed = bandSourceRows(
    image.height,
    resizeTargets(plan).map(([, h]) => h),
    band,
  );
  if (needed.rows > 0 && (needed.top < top || needed.top + needed.rows > top + rows)) {
    throw new InvalidArgumentError(
      `this share reads source rows ${needed.top}..${needed.top + needed.rows}, the image holds ${top}..${top + rows}`,
    );
  }
}

/** Per tile, the rows that `band` computes (tiles it does not reach are left out). */
export function bandTileRows(plan: TilePlan, band: RowBand): TileRows[] {
  const heights = resizeTargets(plan).map(([, h]) => h);
  const out: TileRows[] = [];
  tileSources(plan).forEach(([which, box], tile) => {
    const [first, end] = bandRowRange(heights[which], band);
    const start = Math.max(first, box.top) - box.top;
    const stop = Math.min(end, box.top + box.height) - box.top;
    if (start < stop) out.push({ tile, start, end: stop });
  });
  return out;
}
