import { InvalidArgumentError } from '@internvl/errors';
import { cropRgb } from './crop';
import {
  normalizationTable,
  normalizeTileFloat16,
  normalizeTileFloat32,
  type NormalizationTable,
  type NormalizeOptions,
} from './normalize';
import { checkSource, withBicubicResizes } from './resample-bicubic';
import { planSimdResizes } from './resample-simd';
import { RGB_CHANNELS, type RgbImage } from './rgb-image';
import { simdAvailable, withSimdArena } from './simd-module';
import { planTiles, type CropBox, type Grid, type TilePlan, type TilingOptions } from './tiling';

/** Element type of the pixel tensor: float32, or IEEE half precision as raw bits. */
export type PixelDtype = 'fp32' | 'fp16';

/** Options of {@link preprocessPixels}. */
export interface PreprocessOptions extends TilingOptions, NormalizeOptions {
  /** Default `'fp32'`. */
  dtype?: PixelDtype;
  /** Also return each tile's uint8 RGB pixels (before normalization), e.g. to write PNGs. */
  returnTiles?: boolean;
  /**
   * Where to write pixel_values (a Float32Array for fp32, a Uint16Array for fp16) when it is
   * large enough; `data` is then a view of its start. Reusing one buffer avoids allocating (and
   * page-faulting) tens of megabytes per image. By default a new array is allocated.
   */
  output?: Float32Array | Uint16Array;
}

/** The model input for one image. */
export interface PreprocessResult {
  grid: Grid;
  /** Grid tiles plus the thumbnail, if any: `shape[0]`. */
  numTiles: number;
  thumbnail: boolean;
  /** `[numTiles, 3, imageSize, imageSize]`, C order. */
  shape: [number, number, number, number];
  dtype: PixelDtype;
  /** Float32 values for `'fp32'`, binary16 bit patterns for `'fp16'`. */
  data: Float32Array | Uint16Array;
  /** Per tile, `imageSize * imageSize * 3` interleaved RGB bytes; only with `returnTiles`. */
  tiles?: Uint8Array[];
}

/** Everything one preprocessing run needs, resolved and validated. @internal */
export interface PreprocessJob {
  image: RgbImage;
  plan: TilePlan;
  dtype: PixelDtype;
  table: NormalizationTable;
  returnTiles: boolean;
  output?: Float32Array | Uint16Array;
}

interface JobOutput {
  data: Float32Array | Uint16Array;
  tiles?: Uint8Array[];
}

/** The resize targets: the grid-sized image, then the thumbnail if any. */
function targetSizes(plan: TilePlan): [number, number][] {
  const sizes: [number, number][] = [[plan.resizedWidth, plan.resizedHeight]];
  if (plan.thumbnail) sizes.push([plan.imageSize, plan.imageSize]);
  return sizes;
}

/** Which resized image (index into {@link targetSizes}) and region each tile comes from. */
function tileSources(plan: TilePlan): [number, CropBox][] {
  const size = plan.imageSize;
  const sources: [number, CropBox][] = plan.boxes.map((box) => [0, box]);
  if (plan.thumbnail) sources.push([1, { left: 0, top: 0, width: size, height: size }]);
  return sources;
}

/** The caller's output buffer when it fits, else a new one. */
function outputArray(job: PreprocessJob): Float32Array | Uint16Array {
  const values = job.plan.numTiles * 3 * job.plan.imageSize * job.plan.imageSize;
  const given = job.output;
  if (job.dtype === 'fp32') {
    return given instanceof Float32Array && given.length >= values
      ? given.subarray(0, values)
      : new Float32Array(values);
  }
  return given instanceof Uint16Array && given.length >= values
    ? given.subarray(0, values)
    : new Uint16Array(values);
}

/** Portable path: resizes (SIMD or scalar), normalization in JavaScript. @internal */
export function preprocessPortable(job: PreprocessJob): JobOutput {
  const { plan, table } = job;
  const tileValues = 3 * plan.imageSize * plan.imageSize;
  const data = outputArray(job);
  const tiles: Uint8Array[] = [];
  withBicubicResizes(job.image, targetSizes(plan), (resized) => {
    tileSources(plan).forEach(([which, box], i) => {
      const img = resized[which];
      if (data instanceof Float32Array) normalizeTileFloat32(img, box, data, i * tileValues, { table });
      else normalizeTileFloat16(img, box, data, i * tileValues, { table });
      if (job.returnTiles) tiles.push(cropRgb(img, box).data);
    });
  });
  return job.returnTiles ? { data, tiles } : { data };
}

/** SIMD path: resizes and normalization in the WebAssembly kernels, one copy out at the end. @internal */
export function preprocessSimd(job: PreprocessJob): JobOutput {
  const { plan, table } = job;
  return withSimdArena((arena) => {
    const size = plan.imageSize;
    const elemBytes = job.dtype === 'fp32' ? 4 : 2;
    const tileBytes = 3 * size * size * elemBytes;
    const resize = planSimdResizes(arena, job.image, targetSizes(plan));
    const lut = arena.alloc(3 * 256 * 4);
    const out = arena.alloc(plan.numTiles * tileBytes);
    arena.commit();
    resize.run();
    const entries =
      job.dtype === 'fp32'
        ? new Int32Array(table.f32.buffer, table.f32.byteOffset, 768)
        : Int32Array.from(table.f16);
    arena.writeInt32(lut, entries);
    const normalize = job.dtype === 'fp32' ? arena.kernels.normalize32 : arena.kernels.normalize16;
    const heap = arena.heap();
    const tiles: Uint8Array[] = [];
    tileSources(plan).forEach(([which, box], i) => {
      const src = resize.outputs[which];
      const stride = src.width * RGB_CHANNELS;
      const origin = src.ptr + box.top * stride + box.left * RGB_CHANNELS;
      normalize(origin, stride, box.width, box.height, lut, out + i * tileBytes, size * size * elemBytes);
      if (job.returnTiles) {
        const view = {
          width: src.width,
          height: src.height,
          data: heap.subarray(src.ptr, src.ptr + src.height * stride),
        };
        tiles.push(cropRgb(view, box).data);
      }
    });
    const data = outputArray(job);
    new Uint8Array(data.buffer, data.byteOffset, data.byteLength).set(
      heap.subarray(out, out + data.byteLength),
    );
    return job.returnTiles ? { data, tiles } : { data };
  });
}

/**
 * InternVL's `load_image` on decoded pixels: dynamic tiling (`dynamic_preprocess` with a
 * thumbnail), Pillow-exact BICUBIC resizes, crops, then `ToTensor` + ImageNet `Normalize`.
 * Bit-exact with the Pillow 9.4 + torchvision reference for RGB input.
 */
export function preprocessPixels(image: RgbImage, opts: PreprocessOptions = {}): PreprocessResult {
  const dtype = opts.dtype ?? 'fp32';
  if (dtype !== 'fp32' && dtype !== 'fp16') {
    throw new InvalidArgumentError(`dtype must be 'fp32' or 'fp16', got '${String(dtype)}'`);
  }
  checkSource(image);
  const plan = planTiles(image.width, image.height, opts);
  const job: PreprocessJob = {
    image,
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
      if (!(err instanceof RangeError)) throw err;
    }
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
