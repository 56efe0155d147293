import { InvalidArgumentError } from '@internvl/errors';
import { pythonSetOrder } from './python-set-order';

/** Upper bound on `maxNum`: beyond this the candidate set and the tile count stop being useful. */
export const MAX_TILES_LIMIT = 40;

/** Options of InternVL's dynamic tiling (`dynamic_preprocess`). */
export interface TilingOptions {
  /** Smallest number of tiles (excluding the thumbnail). Default 1. */
  minNum?: number;
  /** Largest number of tiles (excluding the thumbnail), at most {@link MAX_TILES_LIMIT}. Default 12. */
  maxNum?: number;
  /** Tile edge in pixels. Default 448. */
  imageSize?: number;
  /** Append a whole-image thumbnail tile when the grid has more than one tile. Default true. */
  useThumbnail?: boolean;
}

/** Tiling options with every default filled in and validated. */
export type ResolvedTilingOptions = Required<TilingOptions>;

/** A tile grid: `cols` tiles across, `rows` tiles down. */
export interface Grid {
  cols: number;
  rows: number;
}

/** A crop rectangle in the resized image, in pixels (`left`/`top` inclusive). */
export interface CropBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Everything needed to cut an image into model tiles. */
export interface TilePlan {
  grid: Grid;
  /** Size the whole image is resized to before cropping: `imageSize * cols` by `imageSize * rows`. */
  resizedWidth: number;
  resizedHeight: number;
  /** Crop boxes in the resized image, row-major. */
  boxes: CropBox[];
  /** Whether a thumbnail of the whole image follows the grid tiles. */
  thumbnail: boolean;
  /** Grid tiles plus the thumbnail, if any. */
  numTiles: number;
  imageSize: number;
}

function requireInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value)) {
    throw new InvalidArgumentError(`${name} must be an integer, got ${String(value)}`);
  }
}

/** Fills in defaults and checks the tiling options; throws {@link InvalidArgumentError} when they make no sense. */
export function resolveTilingOptions(opts: TilingOptions = {}): ResolvedTilingOptions {
  const minNum = opts.minNum ?? 1;
  const maxNum = opts.maxNum ?? 12;
  const imageSize = opts.imageSize ?? 448;
  const useThumbnail = opts.useThumbnail ?? true;
  requireInteger('min_num', minNum);
  requireInteger('max_num', maxNum);
  requireInteger('image_size', imageSize);
  if (minNum < 1) throw new InvalidArgumentError(`min_num must be at least 1, got ${minNum}`);
  if (maxNum < minNum) {
    throw new InvalidArgumentError(`max_num (${maxNum}) must be at least min_num (${minNum})`);
  }
  if (maxNum > MAX_TILES_LIMIT) {
    throw new InvalidArgumentError(`max_num must be at most ${MAX_TILES_LIMIT}, got ${maxNum}`);
  }
  if (imageSize <= 0) throw new InvalidArgumentError(`image_size must be positive, got ${imageSize}`);
  return { minNum, maxNum, imageSize, useThumbnail };
}

const candidateCache = new Map<string, readonly (readonly [number, number])[]>();

/**
 * The candidate grids `(cols, rows)` in the order the reference visits them: its `set` iteration
 * order, stable-sorted by tile count.
 */
export function candidateGrids(minNum: number, maxNum: number): readonly (readonly [number, number])[] {
  const cacheKey = `${minNum}:${maxNum}`;
  const cached = candidateCache.get(cacheKey);
  if (cached !== undefined) return cached;
  const inserted: [number, number][] = [];
  for (let n = minNum; n <= maxNum; n++) {
    for (let i = 1; i <= n; i++) {
      for (let j = 1; j <= n; j++) {
        if (minNum <= i * j && i * j <= maxNum) inserted.push([i, j]);
      }
    }
  }
  // Array.prototype.sort is stable, like Python's sorted().
  const ordered = pythonSetOrder(inserted).sort((a, b) => a[0] * a[1] - b[0] * b[1]);
  candidateCache.set(cacheKey, ordered);
  return ordered;
}

/**
 * Picks the tile grid exactly like InternVL's `find_closest_aspect_ratio`: the grid whose aspect
 * ratio is closest to the image's; on an exact tie the later candidate wins only when the image
 * has more than half the pixels of that grid.
 */
export function chooseGrid(width: number, height: number, opts: TilingOptions = {}): Grid {
  const { minNum, maxNum, imageSize } = resolveTilingOptions(opts);
  requirePositiveSize(width, height);
  const aspectRatio = width / height;
  const area = width * height;
  let bestDiff = Infinity;
  let best: readonly [number, number] = [1, 1];
  for (const ratio of candidateGrids(minNum, maxNum)) {
    const diff = Math.abs(aspectRatio - ratio[0] / ratio[1]);
    if (diff < bestDiff) {
      bestDiff = diff;
      best = ratio;
    } else if (diff === bestDiff) {
      // Same evaluation order as Python, all in doubles.
      if (area > 0.5 * imageSize * imageSize * ratio[0] * ratio[1]) best = ratio;
    }
  }
  return { cols: best[0], rows: best[1] };
}

function requirePositiveSize(width: number, height: number): void {
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width <= 0 || height <= 0) {
    throw new InvalidArgumentError(`image size must be positive integers, got ${width}x${height}`);
  }
}

/** Plans the resize and the crops for an image of the given size. */
export function planTiles(width: number, height: number, opts: TilingOptions = {}): TilePlan {
  const resolved = resolveTilingOptions(opts);
  const grid = chooseGrid(width, height, resolved);
  const { imageSize } = resolved;
  const boxes: CropBox[] = [];
  for (let r = 0; r < grid.rows; r++) {
    for (let c = 0; c < grid.cols; c++) {
      boxes.push({ left: c * imageSize, top: r * imageSize, width: imageSize, height: imageSize });
    }
  }
  const thumbnail = resolved.useThumbnail && boxes.length !== 1;
  return {
    grid,
    resizedWidth: imageSize * grid.cols,
    resizedHeight: imageSize * grid.rows,
    boxes,
    thumbnail,
    numTiles: boxes.length + (thumbnail ? 1 : 0),
    imageSize,
  };
}

/** The resize targets `[width, height]` of a plan: the grid-sized image, then the thumbnail if any. */
export function resizeTargets(plan: TilePlan): [number, number][] {
  const sizes: [number, number][] = [[plan.resizedWidth, plan.resizedHeight]];
  if (plan.thumbnail) sizes.push([plan.imageSize, plan.imageSize]);
  return sizes;
}

/** Which resized image (index into {@link resizeTargets}) and region each tile comes from. */
export function tileSources(plan: TilePlan): [number, CropBox][] {
  const size = plan.imageSize;
  const sources: [number, CropBox][] = plan.boxes.map((box) => [0, box]);
  if (plan.thumbnail) sources.push([1, { left: 0, top: 0, width: size, height: size }]);
  return sources;
}
