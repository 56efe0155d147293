import { hasBytes, latin1, u32be } from './bytes';

/**
 * Recognizes an image container from its first bytes, before any decoder sees the data. This is
 * what lets SVG (which can reference external resources) and other unwanted formats be refused
 * without ever being parsed.
 */

/**
 * Formats the decoder accepts. HEIF other than AVIF is recognized but refused: the bundled
 * libvips decodes only AV1-coded HEIF.
 */
export const SUPPORTED_FORMATS = ['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif'] as const;
/** One of {@link SUPPORTED_FORMATS}. */
export type SupportedFormat = (typeof SUPPORTED_FORMATS)[number];

const AVIF_BRANDS = new Set(['avif', 'avis']);
const HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs', 'mif1', 'msf1']);

/** The brand family of an ISO-BMFF `ftyp` box (AVIF wins when listed among compatible brands). */
function isoBmffFormat(bytes: Uint8Array): 'avif' | 'heif' | undefined {
  if (bytes.length < 16 || latin1(bytes, 4, 8) !== 'ftyp') return undefined;
  const boxSize = u32be(bytes, 0);
  const end = Math.min(bytes.length, Math.max(16, boxSize));
  const brands = [latin1(bytes, 8, 12)];
  for (let at = 16; at + 4 <= end; at += 4) brands.push(latin1(bytes, at, at + 4));
  if (brands.some((b) => AVIF_BRANDS.has(b))) return 'avif';
  if (brands.some((b) => HEIF_BRANDS.has(b))) return 'heif';
  return undefined;
}

/** Whether the bytes look like XML/SVG text: optional BOM and whitespace, then `<`. */
function looksLikeMarkup(bytes: Uint8Array): boolean {
  let i = hasBytes(bytes, [0xef, 0xbb, 0xbf]) ? 3 : 0;
  while (
    i < bytes.length &&
    (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)
  )
    i++;
  return bytes[i] === 0x3c; // '<'
}

/**
 * Names the format of `bytes` from its signature: a {@link SupportedFormat}, or a descriptive name
 * for a recognized but unsupported one (`'svg'`, `'bmp'`, `'pdf'`, ...), or `undefined`.
 */
export function sniffImageFormat(bytes: Uint8Array): string | undefined {
  if (hasBytes(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (hasBytes(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (latin1(bytes, 0, 6) === 'GIF87a' || latin1(bytes, 0, 6) === 'GIF89a') return 'gif';
  if (latin1(bytes, 0, 4) === 'RIFF' && latin1(bytes, 8, 12) === 'WEBP') return 'webp';
  if (hasBytes(bytes, [0x49, 0x49, 0x2a, 0x00]) || hasBytes(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff';
  if (hasBytes(bytes, [0x49, 0x49, 0x2b, 0x00]) || hasBytes(bytes, [0x4d, 0x4d, 0x00, 0x2b])) return 'tiff';
  const bmff = isoBmffFormat(bytes);
  if (bmff !== undefined) return bmff;
  if (latin1(bytes, 0, 4) === '%PDF') return 'pdf';
  if (latin1(bytes, 0, 2) === 'BM') return 'bmp';
  if (latin1(bytes, 0, 4) === '8BPS') return 'psd';
  if (hasBytes(bytes, [0x00, 0x00, 0x01, 0x00])) return 'ico';
  if (hasBytes(bytes, [0xff, 0x0a]) || hasBytes(bytes, [0x00, 0x00, 0x00, 0x0c, 0x4a, 0x58, 0x4c, 0x20]))
    return 'jxl';
  if (hasBytes(bytes, [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20])) return 'jp2';
  if (hasBytes(bytes, [0x1f, 0x8b])) return 'gzip';
  if (looksLikeMarkup(bytes)) return /<svg[\s>]/i.test(latin1(bytes, 0, 4096)) ? 'svg' : 'xml';
  return undefined;
}

/** Narrows a sniffed name to the formats the decoder accepts. */
export function isSupportedFormat(format: string | undefined): format is SupportedFormat {
  return (SUPPORTED_FORMATS as readonly string[]).includes(format ?? '');
}
