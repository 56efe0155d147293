import { fits, u16be, u16le, u32be, u32le, u64be, u64le } from './bytes';
import type { RawHeader } from './raw-header';
import { TIFF_TYPE_SIZE } from './tiff-types';

/**
 * TIFF (classic and BigTIFF, either byte order), as libvips 8.17 reads the first page with
 * libtiff 4.7: IFD0 is read the way `TIFFReadDirectory` reads it (the first of duplicate tags
 * wins; the size, sample and strip tags must read cleanly; strip or tile offsets are required
 * and must be readable; a palette image needs a colour map; scanline and strip sizes must not
 * come out zero), then libvips' checks apply (PhotometricInterpretation present, sizes below
 * 100,000,000, sane samples and tiles, a sample layout it has an unpacker for). The orientation
 * is the Orientation tag when it holds 1..8, else 1.
 *
 * Not reproduced, so such files may get a size although libvips refuses them: libtiff's
 * correction of YCbCr subsampling from the JPEG data of JPEG-compressed strips, and its memory
 * limits on tag data.
 */
export function readTiffHeader(b: Uint8Array): RawHeader | undefined {
  const file = openTiff(b);
  if (file === undefined) return undefined;
  const dir = readDirectory(file, file.ifd0);
  if (dir === undefined) return undefined;
  return interpret(file, dir);
}

interface TiffFile {
  b: Uint8Array;
  le: boolean;
  big: boolean;
  ifd0: number;
  u16(at: number): number;
  u32(at: number): number;
  u64(at: number): number;
}

interface Entry {
  type: number;
  count: number;
  /** Where the entry's value field starts (inline data). */
  valueAt: number;
}

const T_BYTE = 1;
const T_SHORT = 3;
const T_LONG = 4;
const T_SBYTE = 6;
const T_SSHORT = 8;
const T_SLONG = 9;
const T_LONG8 = 16;
const T_SLONG8 = 17;

const TAG = {
  imageWidth: 256,
  imageLength: 257,
  bitsPerSample: 258,
  compression: 259,
  photometric: 262,
  stripOffsets: 273,
  orientation: 274,
  samplesPerPixel: 277,
  rowsPerStrip: 278,
  stripByteCounts: 279,
  minSampleValue: 280,
  maxSampleValue: 281,
  planarConfig: 284,
  colorMap: 320,
  tileWidth: 322,
  tileLength: 323,
  tileOffsets: 324,
  tileByteCounts: 325,
  extraSamples: 338,
  sampleFormat: 339,
  ycbcrSubsampling: 530,
  sMinSampleValue: 340,
  sMaxSampleValue: 341,
  dataType: 32996,
  imageDepth: 32997,
  tileDepth: 32998,
} as const;

function openTiff(b: Uint8Array): TiffFile | undefined {
  if (!fits(b, 0, 8)) return undefined;
  const le = b[0] === 0x49;
  const u16 = (at: number) => (le ? u16le(b, at) : u16be(b, at));
  const u32 = (at: number) => (le ? u32le(b, at) : u32be(b, at));
  const u64 = (at: number) => (le ? u64le(b, at) : u64be(b, at));
  const version = u16(2);
  if (version === 42) return { b, le, big: false, ifd0: u32(4), u16, u32, u64 };
  if (version !== 43 || !fits(b, 0, 16) || u16(4) !== 8 || u16(6) !== 0) return undefined;
  return { b, le, big: true, ifd0: u64(8), u16, u32, u64 };
}

interface Directory {
  /** The first entry of each tag (libtiff ignores repeats). */
  entries: Map<number, Entry>;
  /** Every entry's type, repeats included. */
  types: number[];
}

/** TIFFFetchDirectory(): the entries of one IFD. */
function readDirectory(f: TiffFile, offset: number): Directory | undefined {
  const countSize = f.big ? 8 : 2;
  const entrySize = f.big ? 20 : 12;
  if (offset === 0 || !fits(f.b, offset, countSize)) return undefined;
  const count = f.big ? f.u64(offset) : f.u16(offset);
  if (count === 0 || count > 4096 || !fits(f.b, offset + countSize, count * entrySize)) return undefined;
  const entries = new Map<number, Entry>();
  const types: number[] = [];
  for (let i = 0; i < count; i++) {
    const at = offset + countSize + i * entrySize;
    const tag = f.u16(at);
    const type = f.u16(at + 2);
    types.push(type);
    if (entries.has(tag)) continue;
    const n = f.big ? f.u64(at + 4) : f.u32(at + 4);
    entries.set(tag, { type, count: n, valueAt: at + (f.big ? 12 : 8) });
  }
  return { entries, types };
}

/**
 * Where `readSize` bytes of an entry's data start: inline in the value field when the whole
 * entry fits there (4 bytes, 8 for BigTIFF), else at the offset it holds. Undefined when the
 * data is not in the file.
 */
function dataAt(f: TiffFile, e: Entry, readSize: number): number | undefined {
  const size = TIFF_TYPE_SIZE[e.type] ?? 0;
  const inline = Math.min(e.count, 10) * size <= (f.big ? 8 : 4);
  const at = inline ? e.valueAt : f.big ? f.u64(e.valueAt) : f.u32(e.valueAt);
  return fits(f.b, at, readSize) ? at : undefined;
}

/** The integer types libtiff converts between; others are a type error. */
const INTEGER_TYPES = new Set([T_BYTE, T_SBYTE, T_SHORT, T_SSHORT, T_LONG, T_SLONG, T_LONG8, T_SLONG8]);

/** One integer element at `at`. */
function integerAt(f: TiffFile, type: number, at: number): number {
  const { b } = f;
  switch (type) {
    case T_BYTE:
      return b[at];
    case T_SBYTE:
      return (b[at] << 24) >> 24;
    case T_SHORT:
      return f.u16(at);
    case T_SSHORT:
      return (f.u16(at) << 16) >> 16;
    case T_LONG:
      return f.u32(at);
    case T_SLONG:
      return f.u32(at) | 0;
    case T_LONG8:
      return f.u64(at);
    default: {
      // SLONG8
      const high = f.u32(f.le ? at + 4 : at) | 0;
      return high * 0x1_0000_0000 + f.u32(f.le ? at : at + 4);
    }
  }
}

/** TIFFReadDirEntryShort/Long(): exactly one integer, 0..max. */
function readScalar(f: TiffFile, e: Entry, max: number): number | undefined {
  if (e.count !== 1 || !INTEGER_TYPES.has(e.type)) return undefined;
  const at = dataAt(f, e, TIFF_TYPE_SIZE[e.type]);
  if (at === undefined) return undefined;
  const value = integerAt(f, e.type, at);
  return value >= 0 && value <= max ? value : undefined;
}

/**
 * The first `want` integers of an array entry (all of them when it holds fewer), each 0..max;
 * undefined where libtiff's array readers fail (type, range, data outside the file).
 */
function readArray(f: TiffFile, e: Entry, want: number, max = Infinity): number[] | undefined {
  if (!INTEGER_TYPES.has(e.type)) return undefined;
  const size = TIFF_TYPE_SIZE[e.type];
  const count = Math.min(e.count, want);
  if (count === 0) return [];
  const at = dataAt(f, e, count * size);
  if (at === undefined) return undefined;
  const out: number[] = [];
  // Values past the first few only need to exist; bound the work for huge strip tables.
  const checked = Math.min(count, 65536);
  for (let i = 0; i < checked; i++) {
    const v = integerAt(f, e.type, at + i * size);
    if (v < 0 || v > max) return undefined;
    out.push(v);
  }
  return out;
}

/**
 * TIFFFetchStripThing(): strip/tile offsets or byte counts; a short array is padded out, except
 * past a million strips.
 */
function readStrileArray(f: TiffFile, e: Entry, chunks: number): number[] | undefined {
  if (e.count < chunks && chunks > 1_000_000) return undefined;
  return readArray(f, e, chunks);
}

/** TIFFReadDirEntryShort, falling back to TIFFReadDirEntryPersampleShort on a count mismatch. */
function readPerSample(f: TiffFile, e: Entry, samples: number): number | undefined {
  if (e.count === 1) return readScalar(f, e, 0xffff);
  if (e.count < samples) return undefined;
  // The whole array is read, then its first `samples` values must agree.
  if (readArray(f, e, e.count, 0xffff) === undefined) return undefined;
  const values = readArray(f, e, samples, 0xffff);
  if (values === undefined || values.some((v) => v !== values[0])) return undefined;
  return values[0];
}

function interpret(f: TiffFile, { entries: dir, types }: Directory): RawHeader | undefined {
  const tag16 = (tag: number, fallback: number): number | undefined => {
    const e = dir.get(tag);
    return e === undefined ? fallback : readScalar(f, e, 0xffff);
  };
  const tag32 = (tag: number, fallback: number): number | undefined => {
    const e = dir.get(tag);
    return e === undefined ? fallback : readScalar(f, e, 0xffffffff);
  };

  // First pass: these must read cleanly and be accepted by TIFFSetField, or the IFD is bad.
  let samples = tag16(TAG.samplesPerPixel, 1);
  if (samples === undefined || samples === 0) return undefined;
  const compressionEntry = dir.get(TAG.compression);
  const compression = compressionEntry === undefined ? 1 : readPerSample(f, compressionEntry, samples);
  const width = tag32(TAG.imageWidth, 0);
  const height = tag32(TAG.imageLength, 0);
  const depth = tag32(TAG.imageDepth, 1);
  const tileWidth = tag32(TAG.tileWidth, 0);
  const tileLength = tag32(TAG.tileLength, 0);
  const tileDepth = tag32(TAG.tileDepth, 1);
  const planar = tag16(TAG.planarConfig, 1);
  const rowsPerStrip = tag32(TAG.rowsPerStrip, 0xffffffff);
  if (compression === undefined || width === undefined || height === undefined || depth === undefined) {
    return undefined;
  }
  if (tileWidth === undefined || tileLength === undefined || tileDepth === undefined) return undefined;
  if (planar === undefined || (planar !== 1 && planar !== 2)) return undefined;
  if (rowsPerStrip === undefined || rowsPerStrip === 0) return undefined;
  const extra = dir.get(TAG.extraSamples);
  if (extra !== undefined) {
    const values = extra.count > samples ? undefined : readArray(f, extra, extra.count, 0xffff);
    // 999 is Corel Draw's bad "unassociated alpha", which libtiff patches.
    if (values === undefined || values.some((v) => v > 2 && v !== 999)) return undefined;
  }
  if (!dir.has(TAG.imageWidth) && !dir.has(TAG.imageLength)) return undefined; // "ImageLength"

  // Second pass: the per-sample tags are fatal when unreadable.
  let bits = 1;
  let bitsSet = false;
  let sampleFormat = SAMPLEFORMAT_UINT;
  for (const tag of [
    TAG.bitsPerSample,
    TAG.minSampleValue,
    TAG.maxSampleValue,
    TAG.dataType,
    TAG.sampleFormat,
  ]) {
    const e = dir.get(tag);
    if (e === undefined) continue;
    const value = readPerSample(f, e, samples);
    if (value === undefined) return undefined;
    if (tag === TAG.sampleFormat) {
      if (value < 1 || value > 6) return undefined;
      sampleFormat = value;
    }
    if (tag === TAG.dataType) {
      if (value > 3) return undefined;
      sampleFormat = DATATYPE_TO_SAMPLEFORMAT[value];
    }
    if (tag === TAG.bitsPerSample) {
      bits = value;
      bitsSet = true;
    }
  }
  for (const tag of [TAG.sMinSampleValue, TAG.sMaxSampleValue]) {
    const e = dir.get(tag);
    if (e === undefined) continue;
    const size = TIFF_TYPE_SIZE[e.type];
    if (e.count !== samples || !NUMERIC_TYPES.has(e.type) || dataAt(f, e, samples * size) === undefined) {
      return undefined;
    }
  }
  // Recoverable tags: a bad value is ignored (left unset or at its default).
  const photometricEntry = dir.get(TAG.photometric);
  let photometric = photometricEntry === undefined ? undefined : readScalar(f, photometricEntry, 0xffff);
  const orientationValue = tag16(TAG.orientation, 1);
  const orientation =
    orientationValue !== undefined && orientationValue >= 1 && orientationValue <= 8 ? orientationValue : 1;

  // The OJPEG repairs.
  if (compression === COMPRESSION_OJPEG) {
    if (photometric === undefined || photometric === PHOTOMETRIC_RGB) photometric = PHOTOMETRIC_YCBCR;
    if (!bitsSet) bits = 8;
    if (!dir.has(TAG.samplesPerPixel)) {
      if (photometric === PHOTOMETRIC_YCBCR) samples = 3;
    }
  }

  // Strips or tiles: there must be some, with offsets (and byte counts) libtiff can read.
  const tiled = dir.has(TAG.tileWidth) || dir.has(TAG.tileLength);
  let chunks: number;
  if (!tiled) {
    chunks = rowsPerStrip === 0xffffffff ? 1 : howMany(height, rowsPerStrip);
  } else if (tileWidth === 0 || tileLength === 0 || tileDepth === 0) {
    chunks = 0;
  } else {
    chunks = howMany(width, tileWidth) * howMany(height, tileLength) * howMany(depth, tileDepth);
  }
  if (planar === 2) chunks *= samples;
  if (chunks === 0 || chunks > 0xffffffff) return undefined;
  const offsets = dir.get(TAG.stripOffsets) ?? dir.get(TAG.tileOffsets);
  const offsetValues = offsets === undefined ? undefined : readStrileArray(f, offsets, chunks);
  if (offsets === undefined) {
    if (!(compression === COMPRESSION_OJPEG && !tiled && chunks === 1)) return undefined;
  } else if (offsetValues === undefined) {
    return undefined;
  }
  const counts = dir.get(TAG.stripByteCounts) ?? dir.get(TAG.tileByteCounts);
  const countValues = counts === undefined ? undefined : readStrileArray(f, counts, chunks);
  if (counts !== undefined && countValues === undefined) return undefined;
  if (compression !== COMPRESSION_OJPEG) {
    // Missing or implausible byte counts get estimated, which for compressed data needs the size
    // of every entry's type.
    let estimate = false;
    if (countValues === undefined) {
      if ((planar === 1 && chunks > 1) || (planar === 2 && chunks !== samples)) return undefined;
      estimate = true;
    } else if (chunks === 1 && !tiled) {
      estimate = (offsetValues?.[0] ?? 0) !== 0 && countValues[0] === 0;
    }
    if (estimate && compression !== 1 && types.some((t) => !TIFF_TYPE_SIZE[t])) return undefined;
  }
  const colourMap = colourMapIsValid(f, dir.get(TAG.colorMap), bits);
  if (photometric === PHOTOMETRIC_PALETTE && !colourMap) {
    if (bits < 8) return undefined;
    photometric = samples === 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK;
  }

  // The end of TIFFReadDirectory(): scanline and strip (or tile) sizes must not be zero.
  const subsampling = (() => {
    const sub = dir.get(TAG.ycbcrSubsampling);
    const pair = sub !== undefined && sub.count === 2 ? readArray(f, sub, 2, 0xffff) : undefined;
    return pair ?? [2, 2];
  })();
  const sizes = { width, height, samples, bits, planar, photometric: photometric ?? 0, subsampling };
  if (scanlineSize(sizes) === 0) return undefined;
  if (
    tiled
      ? tileSize(sizes, tileWidth, tileLength, tileDepth) === 0
      : stripSize(sizes, Math.min(rowsPerStrip, height)) === 0
  ) {
    return undefined;
  }

  // libvips: rtiff_header_read().
  if (photometric === undefined) return undefined;
  const rgbaReadable = (samples === 1 || samples === 3 || samples === 4) && [1, 2, 4, 8, 16].includes(bits);
  let readAsRgba = false;
  if (compression === COMPRESSION_OJPEG) {
    if (!rgbaReadable) return undefined;
    readAsRgba = true;
  }
  if (!readAsRgba && compression !== COMPRESSION_JPEG && photometric === PHOTOMETRIC_YCBCR) {
    const [h, v] = subsampling;
    if (h !== 1 || v !== 1) {
      if (!rgbaReadable) return undefined;
      readAsRgba = true;
    }
  }
  if (photometric === PHOTOMETRIC_LOGLUV && compression !== 34676 && compression !== 34677) return undefined;
  if (width <= 0 || width >= MAX_COORD || height <= 0 || height >= MAX_COORD) return undefined;
  if (samples > 10000 || bits <= 0 || bits > 32) return undefined;
  if (tiled) {
    const maxTile = Math.min(8192, Math.ceil((2 * Math.max(width, height)) / 256) * 256);
    if (tileWidth <= 0 || tileWidth > maxTile || tileWidth % 16 !== 0) return undefined;
    if (tileLength <= 0 || tileLength > maxTile || tileLength % 16 !== 0) return undefined;
    const rowSize = readAsRgba
      ? tileWidth * 4
      : Math.ceil((tileWidth * bits * (planar === 1 ? samples : 1)) / 8);
    if (rowSize > 100_000_000 || rowSize * tileLength > 100_000_000) return undefined;
  }
  // rtiff_pick_reader(): the unpacker for the layout must accept it.
  if (!readAsRgba && !unpackerAccepts(photometric, samples, bits, sampleFormat)) return undefined;
  return { width, height, orientation };
}

/** The checks of the rtiff_parse_* unpacker libvips picks for a layout. */
function unpackerAccepts(photometric: number, samples: number, bits: number, sampleFormat: number): boolean {
  const format = sampleFormat === SAMPLEFORMAT_VOID ? SAMPLEFORMAT_UINT : sampleFormat;
  const wholeBytes = bits % 8 === 0 && bits !== 0;
  const knownFormat =
    ([1, 2, 4, 8].includes(bits) && (format === 1 || format === 2)) ||
    ((bits === 16 || bits === 32) && (format === 1 || format === 2 || format === 3));
  if (photometric === PHOTOMETRIC_CIELAB && (bits === 8 || bits === 16)) return samples >= 3;
  if (photometric === PHOTOMETRIC_LOGLUV) return samples >= 3;
  if (photometric === PHOTOMETRIC_MINISWHITE || photometric === PHOTOMETRIC_MINISBLACK) {
    if (bits === 1 || bits === 2 || bits === 4) return samples === 1;
    return wholeBytes && knownFormat;
  }
  if (photometric === PHOTOMETRIC_PALETTE) return [1, 2, 4, 8, 16].includes(bits);
  return wholeBytes && knownFormat;
}

interface Layout {
  width: number;
  height: number;
  samples: number;
  bits: number;
  planar: number;
  photometric: number;
  subsampling: number[];
}

/** Packed YCbCr rows (TIFF 6 section 21): one Cb and Cr per subsampling block. */
function isPackedYcbcr(l: Layout): boolean {
  return l.planar === 1 && l.photometric === PHOTOMETRIC_YCBCR;
}

function validSubsampling([h, v]: number[]): boolean {
  return (h === 1 || h === 2 || h === 4) && (v === 1 || v === 2 || v === 4);
}

/** TIFFScanlineSize64(). */
function scanlineSize(l: Layout): number {
  if (l.planar !== 1) return Math.ceil((l.width * l.bits) / 8);
  if (isPackedYcbcr(l) && l.samples === 3) {
    if (!validSubsampling(l.subsampling)) return 0;
    const [h, v] = l.subsampling;
    const rowSize = Math.ceil((howMany(l.width, h) * (h * v + 2) * l.bits) / 8);
    return Math.floor(rowSize / v);
  }
  return Math.ceil((l.width * l.samples * l.bits) / 8);
}

/** TIFFVStripSize64() for `rows` rows. */
function stripSize(l: Layout, rows: number): number {
  if (isPackedYcbcr(l)) {
    if (l.samples !== 3 || !validSubsampling(l.subsampling)) return 0;
    const [h, v] = l.subsampling;
    const rowSize = Math.ceil((howMany(l.width, h) * (h * v + 2) * l.bits) / 8);
    return rowSize * howMany(rows, v);
  }
  return rows * scanlineSize(l);
}

/** TIFFVTileSize64() for a whole tile. */
function tileSize(l: Layout, tileWidth: number, tileLength: number, tileDepth: number): number {
  if (tileLength === 0 || tileWidth === 0 || tileDepth === 0) return 0;
  if (isPackedYcbcr(l) && l.samples === 3) {
    if (!validSubsampling(l.subsampling)) return 0;
    const [h, v] = l.subsampling;
    const rowSize = Math.ceil((howMany(tileWidth, h) * (h * v + 2) * l.bits) / 8);
    return rowSize * howMany(tileLength, v);
  }
  return tileLength * Math.ceil((l.bits * tileWidth * (l.planar === 1 ? l.samples : 1)) / 8);
}

const SAMPLEFORMAT_UINT = 1;
const SAMPLEFORMAT_VOID = 4;
/** DataType (an old tag) values as SampleFormat: void, int, uint, IEEE float. */
const DATATYPE_TO_SAMPLEFORMAT = [4, 2, 1, 3];
const PHOTOMETRIC_MINISWHITE = 0;
const PHOTOMETRIC_MINISBLACK = 1;
const PHOTOMETRIC_CIELAB = 8;

const COMPRESSION_OJPEG = 6;
const COMPRESSION_JPEG = 7;
const PHOTOMETRIC_RGB = 2;
const PHOTOMETRIC_PALETTE = 3;
const PHOTOMETRIC_YCBCR = 6;
const PHOTOMETRIC_LOGLUV = 32845;
/** Types libtiff's double-array reader converts. */
const NUMERIC_TYPES = new Set([1, 3, 4, 5, 6, 8, 9, 10, 11, 12, 16, 17]);
/** libvips' VIPS_MAX_COORD: sizes must stay below it. */
const MAX_COORD = 100_000_000;

/** TIFFhowmany_32(): ceil(x / y), 0 on overflow. */
function howMany(x: number, y: number): number {
  return x < 0xffffffff - (y - 1) ? Math.floor((x + y - 1) / y) : 0;
}

/** Whether libtiff keeps a ColorMap: 3 * 2^bits readable 16-bit values. */
function colourMapIsValid(f: TiffFile, e: Entry | undefined, bits: number): boolean {
  if (e === undefined || bits > 24) return false;
  const want = 3 * 2 ** bits;
  return e.count === want && readArray(f, e, want, 0xffff) !== undefined;
}
