import { InternalError, InvalidArgumentError, LimitExceededError } from '@internvl/errors';
import {
  isSupportedFormat,
  sniffImageFormat,
  SUPPORTED_FORMATS,
  type SupportedFormat,
} from '@internvl/image-format';
import sharp from 'sharp';
import { gifTransparentColour } from './gif-transparency';
import { cmykToRgb, grey16ToRgb, rgbaToRgbFilling } from './pillow-convert';

/** Limits applied before any pixel is decoded. */
export interface DecodeLimits {
  /** Largest accepted encoded size in bytes (config `max_image_bytes`). */
  maxEncodedBytes: number;
  /** Largest accepted width x height (config `max_image_pixels`); checked from the header. */
  maxPixels: number;
  /** Apply the EXIF orientation. Default false, like the reference (Pillow ignores EXIF). */
  autoOrient?: boolean;
}

/** Decoded pixels: 8-bit RGB, interleaved, rows top to bottom. */
export interface DecodedImage {
  width: number;
  height: number;
  /** `width * height * 3` bytes. */
  data: Uint8Array;
  format: SupportedFormat;
}

/**
 * Rows `top ..< top + rows` of a `width` x `height` image (`data` holds `width * rows * 3`
 * bytes), from {@link decodeImageRows}.
 */
export interface DecodedRows extends DecodedImage {
  top: number;
  rows: number;
}

function checkLimit(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidArgumentError(`decode limit ${name} must be a positive integer, got ${String(value)}`);
  }
}

function sharpReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/\s+/g, ' ').trim();
}

function unsupported(format: string): InvalidArgumentError {
  return new InvalidArgumentError(
    `unsupported image format '${format}'; supported: ${SUPPORTED_FORMATS.join(', ')}`,
  );
}

function corrupt(err: unknown): InvalidArgumentError {
  return new InvalidArgumentError(`image is truncated or corrupt: ${sharpReason(err)}`, { cause: err });
}

/**
 * Decodes JPEG, PNG, WebP, GIF (first frame), TIFF or AVIF bytes to 8-bit RGB, converting like
 * Pillow's `Image.open(...).convert('RGB')`: alpha is dropped (not composited), grey is
 * replicated, palettes are expanded, embedded ICC profiles and EXIF orientation are ignored
 * (unless `autoOrient`).
 *
 * Refuses, with {@link InvalidArgumentError}: empty, unrecognized, unsupported (SVG is never
 * parsed), truncated or corrupt input. Refuses, with {@link LimitExceededError} and before
 * decoding any pixel: more than `maxEncodedBytes` bytes or more than `maxPixels` pixels.
 */
export async function decodeImage(bytes: Uint8Array, limits: DecodeLimits): Promise<DecodedImage> {
  const { width, height, data, format } = await decodeImageRows(bytes, limits);
  return { width, height, data, format };
}

/**
 * Like {@link decodeImage}, but only `wanted` rows are kept, and decoding stops after the last of
 * them for sequential formats (JPEG, PNG): a thread given the top share of an image decodes
 * only that share. Errors and checks are those of a whole decode. With `autoOrient` every row
 * is returned (`top` 0), since the rows wanted are rows after turning.
 */
export async function decodeImageRows(
  bytes: Uint8Array,
  limits: DecodeLimits,
  wanted?: { top: number; rows: number },
): Promise<DecodedRows> {
  checkLimit('maxEncodedBytes', limits.maxEncodedBytes);
  checkLimit('maxPixels', limits.maxPixels);
  if (bytes.length === 0) throw new InvalidArgumentError('image is empty (0 bytes)');
  if (bytes.length > limits.maxEncodedBytes) {
    throw new LimitExceededError(
      `image is ${bytes.length} bytes, over the limit of ${limits.maxEncodedBytes} bytes; raise max_image_bytes to accept it`,
    );
  }
  const sniffed = sniffImageFormat(bytes);
  if (sniffed === undefined) {
    throw new InvalidArgumentError(
      `unrecognized image data (not an image, or an unsupported image format); supported: ${SUPPORTED_FORMATS.join(', ')}`,
    );
  }
  if (!isSupportedFormat(sniffed)) throw unsupported(sniffed);

  const options: sharp.SharpOptions = {
    failOn: 'error',
    limitInputPixels: limits.maxPixels,
    sequentialRead: true,
    ignoreIcc: true,
    autoOrient: limits.autoOrient === true,
    pages: 1,
    page: 0,
  };
  const input = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

  let meta: sharp.Metadata;
  try {
    // Headers only: the pixel limit is checked below with a message naming the size.
    meta = await sharp(input, { ...options, limitInputPixels: false }).metadata();
  } catch (err) {
    throw corrupt(err);
  }
  const width = meta.width ?? 0;
  const height = meta.pageHeight ?? meta.height ?? 0;
  if (width <= 0 || height <= 0) throw new InvalidArgumentError(`image has no pixels (${width}x${height})`);
  if (width * height > limits.maxPixels) {
    throw new LimitExceededError(
      `image is ${width}x${height} = ${width * height} pixels, over the limit of ${limits.maxPixels} pixels; raise max_image_pixels to accept it`,
    );
  }

  let region: sharp.Region | undefined;
  if (wanted !== undefined && !limits.autoOrient) {
    const { top, rows } = wanted;
    if (!Number.isSafeInteger(top) || !Number.isSafeInteger(rows) || top < 0 || rows < 0) {
      throw new InvalidArgumentError(`rows to decode must be non-negative integers, got ${rows} from ${top}`);
    }
    if (top + rows > height) {
      throw new InvalidArgumentError(`rows ${top}..${top + rows} are outside the ${width}x${height} image`);
    }
    // At least one row, so that a share with no rows still reports a corrupt image.
    if (top > 0 || rows < height)
      region = { left: 0, top: Math.min(top, height - 1), width, height: Math.max(rows, 1) };
  }

  try {
    const data = await decodeRgb(input, options, meta, sniffed, bytes, region);
    if (region === undefined) return { ...data, format: sniffed, top: 0, rows: data.height };
    if (data.width !== width || data.height !== region.height) {
      throw new InternalError(
        `decoder produced ${data.width}x${data.height} pixels, expected ${width}x${region.height}`,
      );
    }
    return { width, height, data: data.data, format: sniffed, top: region.top, rows: region.height };
  } catch (err) {
    if (err instanceof InternalError) throw err;
    throw corrupt(err);
  }
}

async function decodeRgb(
  input: Buffer,
  options: sharp.SharpOptions,
  meta: sharp.Metadata,
  format: SupportedFormat,
  bytes: Uint8Array,
  region: sharp.Region | undefined,
): Promise<{ width: number; height: number; data: Uint8Array }> {
  const open = (): sharp.Sharp => {
    const image = sharp(input, options);
    return region ? image.extract(region) : image;
  };
  if (meta.space === 'cmyk') {
    // Keep the CMYK values (no ICC transform) and convert like Pillow.
    const { data, info } = await open()
      .removeAlpha()
      .pipelineColourspace('cmyk')
      .toColourspace('cmyk')
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, data: cmykToRgb(data, info.width * info.height) };
  }
  if (meta.space === 'grey16' && !meta.hasAlpha) {
    const { data, info } = await open()
      .toColourspace('grey16')
      .raw({ depth: 'ushort' })
      .toBuffer({ resolveWithObject: true });
    const grey = new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2);
    return { width: info.width, height: info.height, data: grey16ToRgb(grey, info.width * info.height) };
  }
  const transparent = format === 'gif' && meta.hasAlpha ? gifTransparentColour(bytes) : undefined;
  if (transparent !== undefined) {
    const { data, info } = await open()
      .ensureAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    return {
      width: info.width,
      height: info.height,
      data: rgbaToRgbFilling(data, info.width * info.height, transparent),
    };
  }
  const { data, info } = await open()
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new InternalError(`decoder produced ${info.channels} channels, expected 3`);
  return { width: info.width, height: info.height, data };
}
