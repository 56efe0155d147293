import { hasBytes, MAX_SCAN_BYTES, MAX_WALK_STEPS, u24le, u32le } from './bytes';
import { exifOrientation } from './exif';
import type { RawHeader } from './raw-header';

/**
 * WebP, as libvips 8.17 reads the header with libwebp 1.6's `WebPDemux` (a complete file is
 * required; bytes after the RIFF chunk are ignored) and then refuses canvases over 16383 pixels.
 * The size is the canvas: the VP8X canvas for extended files, else the VP8/VP8L frame size.
 * Frames are checked as the demuxer checks them (a still image must fill the VP8X canvas, an
 * animation frame must fit in it). The orientation comes from the first EXIF chunk when the VP8X
 * EXIF flag is set.
 */
export function readWebpHeader(b: Uint8Array): RawHeader | undefined {
  // ReadHeader()
  if (b.length < RIFF_HEADER + CHUNK_HEADER) return undefined;
  if (!hasBytes(b, 'RIFF') || !hasBytes(b, 'WEBP', 8)) return undefined;
  const riffSize = u32le(b, 4);
  if (riffSize < CHUNK_HEADER || riffSize > MAX_CHUNK_PAYLOAD) return undefined;
  const riffEnd = riffSize + CHUNK_HEADER;
  if (b.length < riffEnd) return undefined; // partial files are refused
  if (riffEnd > MAX_SCAN_BYTES) return undefined;

  const demux: Demux = { b, pos: RIFF_HEADER, end: riffEnd, flags: 0, canvasW: -1, canvasH: -1, frames: [] };
  let status: Status;
  let extended = false;
  if (hasBytes(b, 'VP8 ', RIFF_HEADER) || hasBytes(b, 'VP8L', RIFF_HEADER)) {
    status = parseSingleImage(demux, false);
  } else if (hasBytes(b, 'VP8X', RIFF_HEADER)) {
    extended = true;
    status = parseVp8x(demux);
  } else {
    return undefined;
  }
  // A complete file that still needs data is an error.
  if (status !== 'ok') return undefined;
  if (extended ? !isValidExtended(demux) : !isValidSimple(demux)) return undefined;

  const { canvasW: width, canvasH: height } = demux;
  if (width <= 0 || height <= 0 || width > 0x3fff || height > 0x3fff) return undefined;
  const exif = demux.flags & EXIF_FLAG ? demux.exif : undefined;
  return { width, height, orientation: exif === undefined ? undefined : exifOrientation(exif) };
}

const RIFF_HEADER = 12;
const CHUNK_HEADER = 8;
const MAX_CHUNK_PAYLOAD = 0xffffffff - CHUNK_HEADER - 1;
const MAX_IMAGE_AREA = 2 ** 32;
const ANIMATION_FLAG = 0x02;
const EXIF_FLAG = 0x08;
const ALL_VALID_FLAGS = 0x3e;
const VP8X_CHUNK_SIZE = 10;
const ANIM_CHUNK_SIZE = 6;
const ANMF_CHUNK_SIZE = 16;

type Status = 'ok' | 'more' | 'error';

interface Frame {
  x: number;
  y: number;
  width: number;
  height: number;
  frameNum: number;
  complete: boolean;
  imageOffset: number;
  imageSize: number;
  alphaOffset: number;
  alphaSize: number;
}

interface Demux {
  b: Uint8Array;
  /** Read position. */
  pos: number;
  /** End of the RIFF chunk (the data end too: partial files were refused). */
  end: number;
  flags: number;
  canvasW: number;
  canvasH: number;
  frames: Frame[];
  /** Payload of the first stored EXIF chunk. */
  exif?: Uint8Array;
}

function newFrame(): Frame {
  return {
    x: 0,
    y: 0,
    width: 0,
    height: 0,
    frameNum: 0,
    complete: false,
    imageOffset: 0,
    imageSize: 0,
    alphaOffset: 0,
    alphaSize: 0,
  };
}

/** AddFrame(): only after a complete frame. */
function addFrame(d: Demux, frame: Frame): boolean {
  const last = d.frames[d.frames.length - 1];
  if (last !== undefined && !last.complete) return false;
  d.frames.push(frame);
  return true;
}

/** StoreFrame(): the ALPH/VP8/VP8L chunks of one frame. */
function storeFrame(d: Demux, frameNum: number, minSize: number, frame: Frame): Status {
  const { b } = d;
  let alphaChunks = 0;
  let imageChunks = 0;
  if (d.end - d.pos < CHUNK_HEADER || d.end - d.pos < minSize) return 'more';
  let status: Status = 'ok';
  let done = false;
  do {
    const start = d.pos;
    const fourcc = String.fromCharCode(b[start], b[start + 1], b[start + 2], b[start + 3]);
    const payload = u32le(b, start + 4);
    if (payload > MAX_CHUNK_PAYLOAD) return 'error';
    const padded = payload + (payload & 1);
    if (padded > d.end - (start + CHUNK_HEADER)) return 'error';
    const chunkSize = CHUNK_HEADER + padded;
    if (fourcc === 'ALPH' && alphaChunks === 0) {
      alphaChunks++;
      frame.alphaOffset = start;
      frame.alphaSize = chunkSize;
      frame.frameNum = frameNum;
      d.pos = start + chunkSize;
    } else if (fourcc === 'VP8L' && alphaChunks > 0) {
      return 'error'; // VP8L has its own alpha
    } else if ((fourcc === 'VP8L' || fourcc === 'VP8 ') && imageChunks === 0) {
      const features = getFeatures(b, start, chunkSize);
      if (features === undefined) return 'error';
      imageChunks++;
      frame.imageOffset = start;
      frame.imageSize = chunkSize;
      frame.width = features.width;
      frame.height = features.height;
      frame.frameNum = frameNum;
      frame.complete = true;
      d.pos = start + chunkSize;
    } else {
      done = true; // leave the chunk for the caller
    }
    if (d.pos === d.end) done = true;
    else if (d.end - d.pos < CHUNK_HEADER) status = 'more';
  } while (!done && status === 'ok');
  return status;
}

/** WebPGetFeatures() on one VP8/VP8L chunk (header included): the bitstream's size. */
function getFeatures(
  b: Uint8Array,
  start: number,
  size: number,
): { width: number; height: number } | undefined {
  if (size < RIFF_HEADER) return undefined;
  const payload = u32le(b, start + 4);
  const data = start + CHUNK_HEADER;
  const dataSize = size - CHUNK_HEADER;
  if (payload > MAX_CHUNK_PAYLOAD) return undefined;
  if (hasBytes(b, 'VP8 ', start)) {
    // VP8GetInfo(): frame tag, start code, 14-bit sizes.
    if (dataSize < 10 || !hasBytes(b, [0x9d, 0x01, 0x2a], data + 3)) return undefined;
    const bits = b[data] | (b[data + 1] << 8) | (b[data + 2] << 16);
    const width = u24le(b, data + 6) & 0x3fff;
    const height = (b[data + 8] | (b[data + 9] << 8)) & 0x3fff;
    if (bits & 1) return undefined; // not a key frame
    if (((bits >> 1) & 7) > 3) return undefined; // unknown profile
    if (!((bits >> 4) & 1)) return undefined; // invisible first frame
    if (bits >> 5 >= payload) return undefined; // partition longer than the chunk
    if (width === 0 || height === 0) return undefined;
    return { width, height };
  }
  // VP8LGetInfo(): signature byte, then 14 + 14 bits of size - 1, alpha bit, 3 version bits.
  if (dataSize < 5 || b[data] !== 0x2f || b[data + 4] >> 5 !== 0) return undefined;
  const bits = u32le(b, data + 1);
  return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
}

/** ParseSingleImage(). */
function parseSingleImage(d: Demux, extended: boolean): Status {
  if (d.frames.length > 0) return 'error';
  if (CHUNK_HEADER > d.end - d.pos) return 'error';
  const frame = newFrame();
  const status = storeFrame(d, 1, 0, frame);
  if (status === 'error') return status;
  if (!extended && frame.width > 0 && frame.height > 0) {
    d.canvasW = frame.width;
    d.canvasH = frame.height;
  }
  if (!addFrame(d, frame)) return 'error';
  return status;
}

/** ParseVP8X() and ParseVP8XChunks(). */
function parseVp8x(d: Demux): Status {
  const { b } = d;
  if (d.end - d.pos < CHUNK_HEADER) return 'more';
  const vp8xSize = u32le(b, d.pos + 4);
  d.pos += CHUNK_HEADER;
  if (vp8xSize > MAX_CHUNK_PAYLOAD || vp8xSize < VP8X_CHUNK_SIZE) return 'error';
  const padded = vp8xSize + (vp8xSize & 1);
  if (padded > d.end - d.pos) return 'error';
  d.flags = b[d.pos];
  d.canvasW = 1 + u24le(b, d.pos + 4);
  d.canvasH = 1 + u24le(b, d.pos + 7);
  if (d.canvasW * d.canvasH >= MAX_IMAGE_AREA) return 'error';
  d.pos += padded;
  if (CHUNK_HEADER > d.end - d.pos) return 'error';

  const isAnimation = (d.flags & ANIMATION_FLAG) !== 0;
  let animChunks = 0;
  let status: Status = 'ok';
  let steps = 0;
  do {
    if (++steps > MAX_WALK_STEPS) return 'error'; // absurdly many chunks
    const start = d.pos;
    const fourcc = String.fromCharCode(b[start], b[start + 1], b[start + 2], b[start + 3]);
    const size = u32le(b, start + 4);
    if (size > MAX_CHUNK_PAYLOAD) return 'error';
    const sizePadded = size + (size & 1);
    if (sizePadded > d.end - (start + CHUNK_HEADER)) return 'error';
    d.pos = start + CHUNK_HEADER;
    if (fourcc === 'VP8X') return 'error';
    if (fourcc === 'ALPH' || fourcc === 'VP8 ' || fourcc === 'VP8L') {
      if (animChunks > 0 || isAnimation) return 'error';
      d.pos = start;
      status = parseSingleImage(d, true);
    } else if (fourcc === 'ANIM' && animChunks === 0) {
      if (sizePadded < ANIM_CHUNK_SIZE) return 'error';
      animChunks++;
      d.pos += sizePadded;
    } else if (fourcc === 'ANMF') {
      if (animChunks === 0) return 'error';
      status = parseAnimationFrame(d, sizePadded, isAnimation);
    } else {
      if (fourcc === 'ANIM' && sizePadded < ANIM_CHUNK_SIZE) return 'error';
      if (fourcc === 'EXIF' && d.flags & EXIF_FLAG && d.exif === undefined) {
        d.exif = b.subarray(start + CHUNK_HEADER, start + CHUNK_HEADER + size);
      }
      d.pos += sizePadded;
    }
    if (d.pos === d.end) break;
    if (d.end - d.pos < CHUNK_HEADER) status = 'more';
  } while (status === 'ok');
  return status;
}

/** ParseAnimationFrame(). */
function parseAnimationFrame(d: Demux, frameChunkSize: number, isAnimation: boolean): Status {
  const { b } = d;
  if (ANMF_CHUNK_SIZE > d.end - d.pos) return 'error';
  if (frameChunkSize < ANMF_CHUNK_SIZE) return 'error';
  const frame = newFrame();
  frame.x = 2 * u24le(b, d.pos);
  frame.y = 2 * u24le(b, d.pos + 3);
  frame.width = 1 + u24le(b, d.pos + 6);
  frame.height = 1 + u24le(b, d.pos + 9);
  d.pos += ANMF_CHUNK_SIZE;
  if (frame.width * frame.height >= MAX_IMAGE_AREA) return 'error';
  const start = d.pos;
  const payload = frameChunkSize - ANMF_CHUNK_SIZE;
  let status = storeFrame(d, d.frames.length + 1, payload, frame);
  if (status !== 'error' && d.pos - start > payload) status = 'error';
  if (status !== 'error' && isAnimation && frame.frameNum > 0) {
    if (!addFrame(d, frame)) status = 'error';
  }
  return status;
}

/** IsValidSimpleFormat() for a completely parsed file. */
function isValidSimple(d: Demux): boolean {
  const frame = d.frames[0];
  if (d.canvasW <= 0 || d.canvasH <= 0) return false;
  if (frame === undefined) return false;
  return frame.width > 0 && frame.height > 0;
}

/** IsValidExtendedFormat() for a completely parsed file. */
function isValidExtended(d: Demux): boolean {
  const isAnimation = (d.flags & ANIMATION_FLAG) !== 0;
  if (d.canvasW <= 0 || d.canvasH <= 0) return false;
  if (d.frames.length === 0) return false;
  if (d.flags & ~ALL_VALID_FLAGS) return false;
  for (const f of d.frames) {
    if (!isAnimation && f.frameNum > 1) return false;
    if (!f.complete) return false; // no partial frame in a complete file
    if (f.alphaSize === 0 && f.imageSize === 0) return false;
    if (f.alphaSize > 0 && f.alphaOffset > f.imageOffset) return false;
    if (f.width <= 0 || f.height <= 0) return false;
    if (!isAnimation) {
      if (f.x !== 0 || f.y !== 0 || f.width !== d.canvasW || f.height !== d.canvasH) return false;
    } else if (f.width + f.x > d.canvasW || f.height + f.y > d.canvasH) {
      return false;
    }
  }
  return true;
}
