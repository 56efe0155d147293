import { MAX_SCAN_BYTES, u16le } from './bytes';
import type { RawHeader } from './raw-header';

/**
 * GIF, as libvips 8.17 reads the header with its bundled libnsgif: the whole file is scanned
 * (`nsgif_data_scan`) and, with sharp's default `failOn: 'warning'`, any scan error is fatal,
 * except running out of data after at least one complete frame. The size is the logical screen
 * (replaced by 1×1 when it is 0, larger than 2048, or one of libnsgif's "broken encoder" screen
 * sizes such as 640×480), grown to cover the first frame's image descriptor. GIF carries no EXIF,
 * so there is never an orientation.
 */
export function readGifHeader(b: Uint8Array): RawHeader | undefined {
  if (b.length > MAX_SCAN_BYTES) return undefined; // the whole file is scanned
  const end = b.length;
  if (end < 13) return undefined;
  let width = u16le(b, 6);
  let height = u16le(b, 8);
  const flags = b[10];
  if (isBrokenScreen(width, height)) {
    width = 1;
    height = 1;
  }
  let pos = 13;
  // Only the header and a trailer: no frames, which libvips refuses.
  if (end === 14 && b[13] === TRAILER) return undefined;
  if (flags & 0x80) {
    pos += 3 * (2 << (flags & 7));
    if (pos > end) return undefined;
  }

  let frames = 0;
  for (;;) {
    const result = scanFrame(b, pos, end);
    if (result.status !== 'frame') {
      if (result.status === 'done') break;
      if (result.status === 'short' && frames > 0) break; // truncated after a whole frame: tolerated
      return undefined;
    }
    if (frames === 0) {
      width = Math.max(width, result.right);
      height = Math.max(height, result.bottom);
    }
    frames++;
    pos = result.next;
  }
  return frames > 0 ? { width, height } : undefined;
}

const TRAILER = 0x3b;

/** libnsgif's guard against encoders that wrote their screen size into the logical screen. */
function isBrokenScreen(w: number, h: number): boolean {
  return (
    (w === 640 && h === 480) ||
    (w === 640 && h === 512) ||
    (w === 800 && h === 600) ||
    (w === 1024 && h === 768) ||
    (w === 1280 && h === 1024) ||
    (w === 1600 && h === 1200) ||
    w === 0 ||
    h === 0 ||
    w > 2048 ||
    h > 2048
  );
}

type FrameScan =
  { status: 'frame'; next: number; right: number; bottom: number } | { status: 'done' | 'short' | 'error' };

/** One step of `nsgif__process_frame` in scan mode: extensions, descriptor, palette, LZW data. */
function scanFrame(b: Uint8Array, start: number, end: number): FrameScan {
  let pos = start;
  if (pos < end && b[pos] === TRAILER) return { status: 'done' };

  // Extensions: 0x21, label, then data sub-blocks up to a zero-length one.
  while (end - pos > 0 && b[pos] === 0x21) {
    pos++;
    if (end - pos === 0) return { status: 'short' };
    const label = b[pos];
    const available = end - pos;
    if (label === 0xf9 && available < 6) return { status: 'short' }; // graphic control
    if (label === 0xff && available < 17) return { status: 'short' }; // application
    if (label === 0xfe) {
      pos++; // comment: sub-blocks follow the label directly
    } else {
      if (available < 2) return { status: 'short' };
      pos += 2 + b[pos + 1];
    }
    while (pos < end && b[pos] !== 0) {
      pos += b[pos] + 1;
      if (pos >= end) return { status: 'short' };
    }
    pos++;
  }
  if (pos > end) pos = end;

  // Image descriptor.
  if (end - pos < 10) return { status: 'short' };
  if (b[pos] !== 0x2c) return { status: 'error' };
  const right = u16le(b, pos + 1) + u16le(b, pos + 5);
  const bottom = u16le(b, pos + 3) + u16le(b, pos + 7);
  const packed = b[pos + 9];
  pos += 10;

  // Local colour table.
  if (packed & 0x80) {
    const size = 3 * (2 << (packed & 7));
    if (end - pos < size) return { status: 'short' };
    pos += size;
  }

  // Image data. A trailer where the data should start (or just after its first byte, when only
  // two bytes are left) ends the scan without counting this frame.
  const left = end - pos;
  if (left > 0 && b[pos] === TRAILER) return { status: 'done' };
  if (left === 2 && b[pos + 1] === TRAILER) return { status: 'done' };
  if (left < 3) return { status: 'short' };
  if (b[pos] >= 12) return { status: 'error' }; // LZW minimum code size
  pos++;
  for (;;) {
    if (end - pos < 1) return { status: 'short' };
    const block = b[pos] + 1;
    if (block > end - pos) return { status: 'short' };
    pos += block;
    if (block === 1) break;
  }
  return { status: 'frame', next: pos, right, bottom };
}
