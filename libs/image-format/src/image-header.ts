import { readAvifHeader } from './avif';
import { readGifHeader } from './gif';
import { readJpegHeader } from './jpeg';
import { readPngHeader } from './png';
import type { RawHeader } from './raw-header';
import { isSupportedFormat, sniffImageFormat, type SupportedFormat } from './sniff-format';
import { readTiffHeader } from './tiff';
import { readWebpHeader } from './webp';

/** Width and height from an image's header, as the decoder will see them. */
export interface ImageHeader {
  width: number;
  height: number;
}

const READERS: Readonly<Record<SupportedFormat, (bytes: Uint8Array) => RawHeader | undefined>> = {
  jpeg: readJpegHeader,
  png: readPngHeader,
  gif: readGifHeader,
  webp: readWebpHeader,
  tiff: readTiffHeader,
  avif: readAvifHeader,
};

/**
 * Reads only the header of an image (no pixel is decoded, nothing native runs): the size of its
 * first page or frame, exactly as the libvips decoder behind `decodeImage` reports it, with width
 * and height swapped when `autoOrient` is set and the EXIF orientation turns the image (5–8).
 * Undefined when the bytes are not a supported image or the decoder could not read the header
 * (truncated, corrupt, or a variant this reader does not follow): callers treat that as "size
 * unknown". Never throws; the bytes looked at are bounded.
 */
export function readImageHeader(bytes: Uint8Array, autoOrient = false): ImageHeader | undefined {
  const format = sniffImageFormat(bytes);
  if (!isSupportedFormat(format)) return undefined;
  let header: RawHeader | undefined;
  try {
    header = READERS[format](bytes);
  } catch {
    return undefined; // a reader bug must not take the caller down
  }
  if (header === undefined || !(header.width > 0) || !(header.height > 0)) return undefined;
  const turned = autoOrient && (header.orientation ?? 1) >= 5;
  return turned
    ? { width: header.height, height: header.width }
    : { width: header.width, height: header.height };
}
