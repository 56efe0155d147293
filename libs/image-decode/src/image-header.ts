import sharp from 'sharp';
import { isSupportedFormat, sniffImageFormat } from './sniff-format';

/** Width and height from an image's header, as the decoder will see them. */
export interface ImageHeader {
  width: number;
  height: number;
}

/**
 * Reads only the header of an image (no pixel is decoded): its size, with width and height
 * swapped when `autoOrient` is set and the EXIF orientation turns it (5–8). Undefined when the
 * bytes are not a supported image or the header cannot be read; decoding reports why.
 */
export async function readImageHeader(
  bytes: Uint8Array,
  autoOrient = false,
): Promise<ImageHeader | undefined> {
  const format = sniffImageFormat(bytes);
  if (format === undefined || !isSupportedFormat(format)) return undefined;
  try {
    const input = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const meta = await sharp(input, { limitInputPixels: false, pages: 1, page: 0 }).metadata();
    const width = meta.width ?? 0;
    const height = meta.pageHeight ?? meta.height ?? 0;
    if (width <= 0 || height <= 0) return undefined;
    const turned = autoOrient && (meta.orientation ?? 1) >= 5;
    return turned ? { width: height, height: width } : { width, height };
  } catch {
    return undefined;
  }
}
