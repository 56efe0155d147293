import { InternalError, InvalidArgumentError } from '@internvl/errors';
import type { FloatArray, FloatType } from '@internvl/float-formats';
import { cropRgb } from './crop';
import {
  normalizationTable,
  normalizeTileFloat16,
  normalizeTileFloat32,
  type NormalizationTable,
  type NormalizeOptions,
} from './normalize';
import { bandTileRows, checkBandSource, isWholeJob } from './preprocess-band';
import { checkSource, withBicubicResizes } from './resample-bicubic';
import { planSimdResizes } from './resample-simd';
import { RGB_CHANNELS, type RgbImage, type RgbRows } from './rgb-image';
import { WHOLE_IMAGE, type RowBand } from './row-band';
import { simdAvailable, withSimdArena } from './simd-module';
import {
  planTiles,
  resizeTargets,
  tileSources,
  type Grid,
  type TilePlan,
  type TilingOptions,
} from './tiling';

/** Options of {@link preprocessPixels}. */
export interface PreprocessOptions extends TilingOptions, NormalizeOptions {
  /** Element type of the pixel tensor: float32, or IEEE half precision as raw bits. Default `'float32'`. */
  dtype?: FloatType;
  /** Also return each tile's uint8 RGB pixels (before normalization), e.g. to write PNGs. */
  returnTiles?: boolean;
  /**
   * Where to write pixel_values (a Float32Array for float32, a Uint16Array for float16) when it is
   * large enough; `data` is then a view of its start. Reusing one buffer avoids allocating (and
   * page-faulting) tens of megabytes per image. By default a new array is allocated.
   */
  output?: FloatArray;
  /**
   * Compute only this share of the image (see {@link RowBand}); the values outside it are left
   * as `output` had them. Threads given shares that tile [0, 1) and one shared `output` produce
   * the whole result. A share needs the SIMD kernels (InternalError without them) and no
   * `returnTiles`; `image` may then hold only the rows it reads (`preprocessSourceRows`).
   * Default: the whole image.
   */
  band?: RowBand;
}

/** The model input for one image. */
export interface PreprocessResult {
  grid: Grid;
  /** Grid tiles plus the thumbnail, if any: `shape[0]`. */
  numTiles: number;
  thumbnail: boolean;
  /** `[numTiles, 3, imageSize, imageSize]`, C order. */
  shape: [number, number, number, number];
  dtype: FloatType;
  /** Float32 values for `'float32'`, binary16 bit patterns for `'float16'`. */
  data: FloatArray;
  /** Per tile, `imageSize * imageSize * 3` interleaved RGB bytes; only with `returnTiles`. */
  tiles?: Uint8Array[];
}

/** Everything one preprocessing run needs, resolved and validated. @internal */
export interface PreprocessJob {
  image: RgbImage | RgbRows;
  band?: RowBand;
  plan: TilePlan;
  dtype: FloatType;
  table: NormalizationTable;
  returnTiles: boolean;
  output?: FloatArray;
}

interface JobOutput {
  data: FloatArray;
  tiles?: Uint8Array[];
}

/** The caller's output buffer when it fits, else a new one. */
function outputArray(job: PreprocessJob): FloatArray {
  const values = job.plan.numTiles * 3 * job.plan.imageSize * job.plan.imageSize;
  const given = job.output;
  if (job.dtype === 'float32') {
    return given instanceof Float32Array && given.length >= values
      ? given.subarray(0, values)
      : new Float32Array(values);
  }
  return given instanceof Uint16Array && given.length >= values
    ? given.subarray(0, values)
    : new Uint16Array(values);
}

/** Portable path (whole jobs only): resizes (SIMD or scalar), normalization in JavaScript. @internal */
export function preprocessPortable(job: PreprocessJob): JobOutput {
  const { plan, table } = job;
  const tileValues = 3 * plan.imageSize * plan.imageSize;
  const data = outputArray(job);
  const tiles: Uint8Array[] = [];
  withBicubicResizes(job.image, resizeTargets(plan), (resized) => {
    tileSources(plan).forEach(([which, box], i) => {
      const img = resized[which];
      if (data instanceof Float32Array) normalizeTileFloat32(img, box, data, i * tileValues, { table });
      else normalizeTileFloat16(img, box, data, i * tileValues, { table });
      if (job.returnTiles) tiles.push(cropRgb(img, box).data);
    });
  });
  return job.returnTiles ? { data, tiles } : { data };
}

/**
 * SIMD path: resizes and normalization in the WebAssembly kernels. Each tile is normalized into
 * one tile of scratch and copied out at once, so the kernels' memory (which a worker keeps, and
 * which counts against its memory bound) never holds the whole tensor. @internal
 */
export function preprocessSimd(job: PreprocessJob): JobOutput {
  const { plan, table } = job;
  const band = job.band ?? WHOLE_IMAGE;
  return withSimdArena((arena) => {
    const size = plan.imageSize;
    const elemBytes = job.dtype === 'float32' ? 4 : 2;
    const planeBytes = size * size * elemBytes;
    const tileBytes = 3 * planeBytes;
    const resize = planSimdResizes(arena, job.image, resizeTargets(plan), band);
    const lut = arena.alloc(3 * 256 * 4);
    const scratch = arena.alloc(tileBytes);
    arena.commit();
    resize.run();
    const entries =
      job.dtype === 'float32'
        ? new Int32Array(table.f32.buffer, table.f32.byteOffset, 768)
        : Int32Array.from(table.f16);
    arena.writeInt32(lut, entries);
    const normalize = job.dtype === 'float32' ? arena.kernels.normalize32 : arena.kernels.normalize16;
    const heap = arena.heap();
    const tiles: Uint8Array[] = [];
    const sources = tileSources(plan);
    const data = outputArray(job);
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    for (const { tile, start, end } of bandTileRows(plan, band)) {
      const [which, box] = sources[tile];
      const src = resize.outputs[which];
      const stride = src.width * RGB_CHANNELS;
      const origin = src.ptr + (box.top + start) * stride + box.left * RGB_CHANNELS;
      const rowsAt = start * size * elemBytes;
      normalize(origin, stride, box.width, end - start, lut, scratch + rowsAt, planeBytes);
      const tileAt = tile * tileBytes;
      if (start === 0 && end === size) {
        bytes.set(heap.subarray(scratch, scratch + tileBytes), tileAt);
      } else {
        // Part of a tile (a band's edge): its rows in each of the three planes.
        const runBytes = (end - start) * size * elemBytes;
        for (let c = 0; c < 3; c++) {
          const at = c * planeBytes + rowsAt;
          bytes.set(heap.subarray(scratch + at, scratch + at + runBytes), tileAt + at);
        }
      }
      if (job.returnTiles) {
        const view = {
          width: src.width,
          height: src.height,
          data: heap.subarray(src.ptr, src.ptr + src.height * stride),
        };
        tiles.push(cropRgb(view, box).data);
      }
    }
    return job.returnTiles ? { data, tiles } : { data };
  });
}

/**
 * InternVL's `load_image` on decoded pixels: dynamic tiling (`dynamic_preprocess` with a
 * thumbnail), Pillow-exact BICUBIC resizes, crops, then `ToTensor` + ImageNet `Normalize`.
 * Bit-exact with the Pillow 9.4 + torchvision reference for RGB input.
 */
export function preprocessPixels(image: RgbImage | RgbRows, opts: PreprocessOptions = {}): PreprocessResult {
  const dtype = opts.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'float16') {
    throw new InvalidArgumentError(`dtype must be 'float32' or 'float16', got '${String(dtype)}'`);
  }
  const band = opts.band ?? WHOLE_IMAGE;
  const whole = isWholeJob(image, band);
  if (whole) checkSource(image);
  const plan = planTiles(image.width, image.height, opts);
  if (!whole) {
    checkBandSource(image, plan, band);
    if (opts.returnTiles === true) {
      throw new InvalidArgumentError('returnTiles needs the whole image, not a share of it (band)');
    }
  }
  const job: PreprocessJob = {
    image,
    band,
    plan,
    dtype,
    table: normalizationTable(opts),
    returnTiles: opts.returnTiles === true,
  };
  if (opts.output !== undefined) job.output = opts.output;

  let out: JobOutput | undefined;
  if (simdAvailable()) {
    try {
      out = preprocessSimd(job);
    } catch (err) {
      // Not enough memory for the kernels' workspace: the portable path needs far less.
      if (!(err instanceof RangeError) || !whole) throw err;
    }
  }
  if (out === undefined && !whole) {
    throw new InternalError('a share of an image needs the WebAssembly SIMD kernels; run the whole image');
  }
  out ??= preprocessPortable(job);

  const size = plan.imageSize;
  const result: PreprocessResult = {
    grid: plan.grid,
    numTiles: plan.numTiles,
    thumbnail: plan.thumbnail,
    shape: [plan.numTiles, 3, size, size],
    dtype,
    data: out.data,
  };
  if (out.tiles !== undefined) result.tiles = out.tiles;
  return result;
}
