import { fits, hasBytes, MAX_SCAN_BYTES, MAX_WALK_STEPS, u16be } from './bytes';
import { exifOrientation } from './exif';
import type { RawHeader } from './raw-header';

/**
 * JPEG, as libvips 8.17 reads the header with the bundled mozjpeg (`jpeg_read_header`, then the
 * saved APP1 markers): the markers up to the first SOS are parsed with libjpeg's rules (garbage
 * between markers is skipped with a warning, and 100 warnings are fatal; a bogus length below 2
 * consumes only the length bytes; reserved markers, a second SOI or SOF, an unsupported SOFn,
 * EOI or a table error end the read), then the frame must pass libjpeg's `initial_setup` checks.
 * The first APP1 block starting with `Exif` is the EXIF block (libvips ignores later ones); its
 * IFD0 Orientation is the orientation.
 */
export function readJpegHeader(b: Uint8Array): RawHeader | undefined {
  if (!hasBytes(b, [0xff, 0xd8])) return undefined;
  let pos = 2;
  let warnings = 0;
  let frame: Frame | undefined;
  let orientation: number | undefined;
  let sawExif = false;

  for (let markers = 0; markers <= MAX_WALK_STEPS; markers++) {
    // next_marker(): skip non-FF bytes, then fill FFs; FF 00 is stuffed data, also skipped.
    let discarded = 0;
    let marker = -1;
    while (marker < 0) {
      while (pos < b.length && b[pos] !== 0xff) {
        discarded++;
        pos++;
      }
      while (pos < b.length && b[pos] === 0xff) pos++;
      // Out of data: libvips feeds a fake EOI, and EOI before SOS is fatal.
      if (pos >= b.length || pos >= MAX_SCAN_BYTES) return undefined;
      const c = b[pos++];
      if (c !== 0) marker = c;
      else discarded += 2;
    }
    if (discarded > 0 && ++warnings >= 100) return undefined;

    if (marker === 0xd8) return undefined; // SOI again
    if (marker === 0xd9) return undefined; // EOI before any image
    if (isSof(marker)) {
      if (frame !== undefined) return undefined;
      frame = readSof(b, pos);
      if (frame === undefined) return undefined;
      pos = frame.end;
    } else if (UNSUPPORTED_SOF.has(marker)) {
      return undefined;
    } else if (marker === 0xda) {
      return frame !== undefined && sosIsValid(b, pos, frame) && frameIsValid(frame)
        ? { width: frame.width, height: frame.height, orientation }
        : undefined;
    } else if (marker === 0xc4 || marker === 0xdb || marker === 0xcc || marker === 0xdd) {
      const end = readTable(b, pos, marker);
      if (end === undefined) return undefined;
      pos = end;
    } else if ((marker >= 0xe0 && marker <= 0xef) || marker === 0xfe || marker === 0xdc) {
      // APPn, COM, DNL: a length, then that much data (none when the length is bogus, < 2).
      if (!fits(b, pos, 2)) return undefined;
      const length = u16be(b, pos) - 2;
      const data = pos + 2;
      const end = data + Math.max(0, length);
      if (!fits(b, data, end - data)) return undefined;
      if (marker === 0xe1 && length > 4 && hasBytes(b, 'Exif', data) && !sawExif) {
        sawExif = true; // libvips attaches the first EXIF block only
        orientation = exifOrientation(b.subarray(data, end));
      }
      if (marker === 0xe0 && length >= 14 && hasBytes(b, 'JFIF\0', data) && b[data + 5] !== 1) {
        if (++warnings >= 100) return undefined; // JWRN_JFIF_MAJOR
      }
      pos = end;
    } else if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      // RSTn and TEM carry no parameters.
    } else {
      return undefined; // DHP, EXP, JPGn, RESn: fatal in libjpeg
    }
  }
  return undefined; // absurdly many markers before the image
}

interface Frame {
  width: number;
  height: number;
  precision: number;
  ids: number[];
  sampling: number[];
  end: number;
}

/** SOF0/1/2 (Huffman), SOF3 (lossless), SOF9/10/11 (arithmetic): the ones mozjpeg reads. */
function isSof(marker: number): boolean {
  return (
    marker === 0xc0 ||
    marker === 0xc1 ||
    marker === 0xc2 ||
    marker === 0xc3 ||
    marker === 0xc9 ||
    marker === 0xca ||
    marker === 0xcb
  );
}

/** Differential (hierarchical) SOFs and JPG: libjpeg refuses them. */
const UNSUPPORTED_SOF = new Set([0xc5, 0xc6, 0xc7, 0xc8, 0xcd, 0xce, 0xcf]);

/** get_sof(): the frame header, with libjpeg's length and emptiness checks. */
function readSof(b: Uint8Array, pos: number): Frame | undefined {
  if (!fits(b, pos, 8)) return undefined;
  const length = u16be(b, pos) - 8;
  const precision = b[pos + 2];
  const height = u16be(b, pos + 3);
  const width = u16be(b, pos + 5);
  const components = b[pos + 7];
  if (height <= 0 || width <= 0 || components <= 0) return undefined;
  if (length !== components * 3 || !fits(b, pos + 8, length)) return undefined;
  const ids: number[] = [];
  const sampling: number[] = [];
  for (let i = 0; i < components; i++) {
    ids.push(b[pos + 8 + 3 * i]);
    sampling.push(b[pos + 9 + 3 * i]);
  }
  return { width, height, precision, ids, sampling, end: pos + 8 + length };
}

/** get_sos(): the scan header must name distinct frame components. */
function sosIsValid(b: Uint8Array, pos: number, frame: Frame): boolean {
  if (!fits(b, pos, 3)) return false;
  const length = u16be(b, pos);
  const n = b[pos + 2];
  if (length !== n * 2 + 6 || n < 1 || n > 4 || !fits(b, pos + 3, n * 2 + 3)) return false;
  const slots = [-1, -1, -1, -1];
  const searchable = Math.min(frame.ids.length, 4);
  for (let i = 0; i < n; i++) {
    const cc = b[pos + 3 + 2 * i];
    // libjpeg tests the scan slot indexed by the component index (sic), then rejects repeats.
    let found = -1;
    for (let ci = 0; ci < searchable; ci++) {
      if (cc === frame.ids[ci] && slots[ci] === -1) {
        found = ci;
        break;
      }
    }
    if (found < 0) return false;
    slots[i] = found;
    for (let pi = 0; pi < i; pi++) if (slots[pi] === found) return false;
  }
  return true;
}

/** initial_setup() at the first SOS: size, precision, component count, sampling factors. */
function frameIsValid(frame: Frame): boolean {
  if (frame.width > 65500 || frame.height > 65500) return false;
  if (frame.precision !== 8 && frame.precision !== 12 && frame.precision !== 16) return false;
  if (frame.ids.length > 10) return false;
  return frame.sampling.every((s) => s >> 4 >= 1 && s >> 4 <= 4 && (s & 15) >= 1 && (s & 15) <= 4);
}

/**
 * DHT, DQT, DAC and DRI, validated like get_dht/get_dqt/get_dac/get_dri. Returns the position
 * after the segment, or undefined where libjpeg errors out.
 */
function readTable(b: Uint8Array, pos: number, marker: number): number | undefined {
  if (!fits(b, pos, 2)) return undefined;
  const total = u16be(b, pos);
  if (marker === 0xdd) return total === 4 && fits(b, pos, 4) ? pos + 4 : undefined; // DRI
  let length = total - 2;
  let at = pos + 2;
  if (marker === 0xc4) {
    // DHT: tables of 1 + 16 + count bytes while more than 16 bytes remain.
    while (length > 16) {
      if (!fits(b, at, 17)) return undefined;
      const index = b[at];
      let count = 0;
      for (let i = 1; i <= 16; i++) count += b[at + i];
      length -= 17;
      if (count > 256 || count > length) return undefined;
      length -= count;
      if ((index & 0x0f) >= 4 || (index & ~0x1f) !== 0) return undefined;
      at += 17 + count;
    }
  } else if (marker === 0xdb) {
    // DQT: 1 + 64 (8-bit) or 1 + 128 (16-bit) bytes per table.
    while (length > 0) {
      if (!fits(b, at, 1)) return undefined;
      const n = b[at];
      if ((n & 0x0f) >= 4) return undefined;
      const size = 1 + (n >> 4 ? 128 : 64);
      length -= size;
      at += size;
    }
  } else {
    // DAC: (index, value) pairs.
    while (length > 0) {
      if (!fits(b, at, 2)) return undefined;
      const index = b[at];
      const value = b[at + 1];
      length -= 2;
      at += 2;
      if (index >= 32) return undefined;
      if (index < 16 && (value & 0x0f) > value >> 4) return undefined;
    }
  }
  if (length !== 0 || !fits(b, pos, total)) return undefined;
  return pos + total;
}
