import { InvalidArgumentError } from '@internvl/errors';
import { f32ToF16Bits } from '@internvl/float-formats';
import { checkCropBox } from './crop';
import { RGB_CHANNELS, type RgbImage } from './rgb-image';
import type { CropBox } from './tiling';

/** ImageNet channel means used by InternVL (torchvision `Normalize`). */
export const IMAGENET_MEAN: readonly [number, number, number] = [0.485, 0.456, 0.406];
/** ImageNet channel standard deviations used by InternVL. */
export const IMAGENET_STD: readonly [number, number, number] = [0.229, 0.224, 0.225];

/** Per-channel normalization constants. */
export interface NormalizeOptions {
  mean?: readonly [number, number, number];
  std?: readonly [number, number, number];
}

/** Normalization by explicit constants or by a table from {@link normalizationTable}. */
export type NormalizeWith = NormalizeOptions | { table: NormalizationTable };

function tableFor(opts: NormalizeWith | undefined): NormalizationTable {
  return opts !== undefined && 'table' in opts ? opts.table : normalizationTable(opts);
}

/**
 * The normalized value of every `(channel, byte)`, computed like torchvision in float32:
 * `ToTensor` divides by 255, `Normalize` subtracts the float32 mean then divides by the float32
 * std. Each step is rounded to float32; doing it in double first is harmless because double has
 * more than twice float32's precision, so a LUT over the 256 inputs is bit-exact.
 */
export interface NormalizationTable {
  f32: Float32Array;
  f16: Uint16Array;
}

const tableCache = new Map<string, NormalizationTable>();

/** Builds (and caches) the lookup table for the given mean/std. */
export function normalizationTable(opts: NormalizeOptions = {}): NormalizationTable {
  const mean = opts.mean ?? IMAGENET_MEAN;
  const std = opts.std ?? IMAGENET_STD;
  const key = `${mean.join(',')}/${std.join(',')}`;
  const cached = tableCache.get(key);
  if (cached !== undefined) return cached;
  if (!std.every((s) => Number.isFinite(s) && s !== 0) || !mean.every(Number.isFinite)) {
    throw new InvalidArgumentError(`normalization needs finite means and non-zero stds, got mean ${key}`);
  }
  const f32 = new Float32Array(3 * 256);
  const f16 = new Uint16Array(3 * 256);
  for (let c = 0; c < 3; c++) {
    const m = Math.fround(mean[c]);
    const s = Math.fround(std[c]);
    for (let v = 0; v < 256; v++) {
      const x = Math.fround(Math.fround(Math.fround(v / 255) - m) / s);
      f32[c * 256 + v] = x;
      f16[c * 256 + v] = f32ToF16Bits(x);
    }
  }
  const table = { f32, f16 };
  tableCache.set(key, table);
  return table;
}

function checkOutput(out: Float32Array | Uint16Array, offset: number, box: CropBox): void {
  const needed = 3 * box.width * box.height;
  if (!Number.isSafeInteger(offset) || offset < 0 || offset + needed > out.length) {
    throw new InvalidArgumentError(
      `output holds ${out.length} values; a ${box.width}x${box.height} tile at offset ${offset} needs ${offset + needed}`,
    );
  }
}

function writePlanes<T extends Float32Array | Uint16Array>(
  image: RgbImage,
  box: CropBox,
  out: T,
  offset: number,
  lut: T,
): void {
  checkCropBox(image, box);
  checkOutput(out, offset, box);
  const plane = box.width * box.height;
  const stride = image.width * RGB_CHANNELS;
  const data = image.data;
  let o = offset;
  for (let y = 0; y < box.height; y++) {
    let p = (box.top + y) * stride + box.left * RGB_CHANNELS;
    for (let x = 0; x < box.width; x++, p += RGB_CHANNELS, o++) {
      out[o] = lut[data[p]];
      out[o + plane] = lut[256 + data[p + 1]];
      out[o + 2 * plane] = lut[512 + data[p + 2]];
    }
  }
}

/**
 * Writes the `box` region of an RGB image as a normalized CHW float32 tile (torchvision
 * `ToTensor()` + `Normalize(mean, std)`, bit-exact) into `out` starting at `offset`.
 */
export function normalizeTileFloat32(
  image: RgbImage,
  box: CropBox,
  out: Float32Array,
  offset: number,
  opts?: NormalizeWith,
): void {
  writePlanes(image, box, out, offset, tableFor(opts).f32);
}

/**
 * Like {@link normalizeTileFloat32}, then rounded to half precision (nearest, ties to even) and
 * stored as binary16 bit patterns.
 */
export function normalizeTileFloat16(
  image: RgbImage,
  box: CropBox,
  out: Uint16Array,
  offset: number,
  opts?: NormalizeWith,
): void {
  writePlanes(image, box, out, offset, tableFor(opts).f16);
}
