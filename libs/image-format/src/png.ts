import { fits, hasBytes, latin1, MAX_SCAN_BYTES, MAX_WALK_STEPS, u32be } from './bytes';
import { crc32 } from './crc32';
import { exifOrientation } from './exif';
import type { RawHeader } from './raw-header';

/**
 * PNG, as libvips 8.17 reads the header with libspng 0.7 (sharp's default `failOn: 'warning'`
 * keeps CRC checking on): IHDR must be valid and at most 100,000,000 pixels wide and high, and
 * every chunk before the first IDAT must be complete. Critical chunks there (PLTE) are checked —
 * a bad CRC, size or position is fatal, as is an unknown critical chunk, IEND, a second IHDR, or
 * a palette image without PLTE — while faulty ancillary chunks are skipped, as libspng does.
 * The orientation comes from the first non-empty `eXIf` chunk before IDAT, when its CRC is right
 * and it starts with a TIFF header.
 */
export function readPngHeader(b: Uint8Array): RawHeader | undefined {
  if (!hasBytes(b, PNG_SIGNATURE) || !fits(b, 0, 33)) return undefined;
  if (u32be(b, 8) !== 13 || latin1(b, 12, 16) !== 'IHDR') return undefined;
  if (crc32(b, 12, 29) !== u32be(b, 29)) return undefined;
  const width = u32be(b, 16);
  const height = u32be(b, 20);
  const depth = b[24];
  const colour = b[25];
  if (width === 0 || height === 0 || width > MAX_COORD || height > MAX_COORD) return undefined;
  if (!DEPTHS[colour]?.includes(depth)) return undefined;
  if (b[26] !== 0 || b[27] !== 0 || b[28] > 1) return undefined;

  let pos = 33;
  let palette = 0; // PLTE entries, 0 while none
  let sawTrnsHistBkgd = false;
  let sawExif = false;
  let exif: Uint8Array | undefined;
  for (let chunks = 0; ; chunks++) {
    if (chunks > MAX_WALK_STEPS || pos > MAX_SCAN_BYTES || !fits(b, pos, 8)) return undefined;
    const length = u32be(b, pos);
    const type = latin1(b, pos + 4, pos + 8);
    if (length > 0x7fffffff) return undefined;
    if (type === 'IDAT') {
      if (colour === 3 && palette === 0) return undefined;
      const orientation = exif === undefined ? undefined : exifOrientation(exif);
      return { width, height, orientation };
    }
    const data = pos + 8;
    if (!fits(b, data, length + 4)) return undefined;
    const chunk = pos;
    const crcOk = () => crc32(b, chunk + 4, data + length) === u32be(b, data + length);
    const critical = (b[pos + 4] & 0x20) === 0;
    if (critical) {
      if (type !== 'PLTE' || !crcOk()) return undefined;
      const entries = length / 3;
      if (length === 0 || sawTrnsHistBkgd || length % 3 !== 0 || entries > 256) return undefined;
      if (colour === 3 && entries > 1 << depth) return undefined;
      palette = entries;
    } else if (type === 'tRNS' || type === 'hIST' || type === 'bKGD') {
      // libspng marks these as seen once they pass its checks (a bad CRC does not undo that);
      // a PLTE after one of them is fatal.
      if (length > 0 && ancillaryIsValid(type, length, b[data], colour, palette)) sawTrnsHistBkgd = true;
    } else if (type === 'eXIf' && length > 0 && !sawExif) {
      sawExif = true;
      if (length > MAX_CHUNK_CACHE) return undefined; // SPNG_ECHUNK_LIMITS is fatal
      if (length >= 4 && (hasBytes(b, 'II*\0', data) || hasBytes(b, 'MM\0*', data)) && crcOk()) {
        exif = b.subarray(data, data + length);
      }
    }
    pos = data + length + 4;
  }
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** libvips' VIPS_MAX_COORD, given to libspng as the largest width and height. */
const MAX_COORD = 100_000_000;
/** libvips' chunk limit (60 MB) for libspng. */
const MAX_CHUNK_CACHE = 60 * 1024 * 1024;
/** Bit depths allowed for each colour type. */
const DEPTHS: Readonly<Record<number, readonly number[]>> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

/**
 * Whether libspng would accept (and so remember) a tRNS, hIST or bKGD chunk, the three whose
 * presence makes a later PLTE fatal. A duplicate is refused, but the first one already counts.
 * `first` is the chunk's first data byte, `palette` the PLTE entry count (0 for none).
 */
function ancillaryIsValid(
  type: string,
  length: number,
  first: number,
  colour: number,
  palette: number,
): boolean {
  if (type === 'hIST') return palette > 0 && Math.floor(length / 2) === palette;
  if (type === 'bKGD') {
    if (colour === 0 || colour === 4) return length === 2;
    if (colour === 2 || colour === 6) return length === 6;
    return length === 1 && palette > 0 && first < palette;
  }
  if (colour === 0) return length === 2;
  if (colour === 2) return length === 6;
  if (colour === 3) return palette > 0 && length <= palette;
  return false;
}
