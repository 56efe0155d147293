/**
 * Hand-built image files for the specs: just enough structure for a header reader (and for
 * libvips, against which these shapes were checked), with the payload bytes faked.
 */
import { crc32 } from 'node:zlib';

export type Bytes = Uint8Array;

export function concat(...parts: (Bytes | number[] | string)[]): Uint8Array {
  const arrays = parts.map((p) =>
    typeof p === 'string'
      ? Uint8Array.from(p, (c) => c.charCodeAt(0))
      : p instanceof Uint8Array
        ? p
        : Uint8Array.from(p),
  );
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

export const u16be = (v: number) => [(v >> 8) & 255, v & 255];
export const u16le = (v: number) => [v & 255, (v >> 8) & 255];
export const u24le = (v: number) => [v & 255, (v >> 8) & 255, (v >> 16) & 255];
export const u32be = (v: number) => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
export const u32le = (v: number) => [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255];

// --- EXIF ------------------------------------------------------------------------------------

/** One IFD entry: `value` holds the raw data (inline when it fits in 4 bytes). */
export interface IfdEntry {
  tag: number;
  type: number;
  count: number;
  value: number[];
  /** Point the entry at this offset instead of at its data. */
  offset?: number;
}

/** Bytes of `values` as EXIF `type` (1 BYTE, 3 SHORT, 4 LONG, 5 RATIONAL ...) in the byte order. */
export function exifValues(type: number, values: (number | [number, number])[], le = true): number[] {
  const out: number[] = [];
  const w16 = le ? u16le : u16be;
  const w32 = le ? u32le : u32be;
  for (const v of values) {
    const [n, d] = Array.isArray(v) ? v : [v, 1];
    if (type === 1 || type === 2 || type === 6 || type === 7) out.push(n & 255);
    else if (type === 3 || type === 8) out.push(...w16(n));
    else if (type === 4 || type === 9 || type === 11) out.push(...w32(n));
    else out.push(...w32(n), ...w32(d));
  }
  return out;
}

/** A TIFF block (byte order, 42, IFD0 offset, IFD0, optional IFD1), as EXIF carries it. */
export function tiffBlock(
  entries: IfdEntry[],
  opts: { le?: boolean; ifd1?: IfdEntry[]; count?: number } = {},
): Uint8Array {
  const le = opts.le ?? true;
  const w16 = le ? u16le : u16be;
  const w32 = le ? u32le : u32be;
  const ifd = (list: IfdEntry[], start: number, next: number): number[] => {
    let dataAt = start + 2 + list.length * 12 + 4;
    const head: number[] = [...w16(opts.count ?? list.length)];
    const data: number[] = [];
    for (const e of list) {
      let field: number[];
      if (e.value.length <= 4 && e.offset === undefined) field = [...e.value, 0, 0, 0, 0].slice(0, 4);
      else {
        field = w32(e.offset ?? dataAt);
        data.push(...e.value);
        dataAt += e.value.length;
      }
      head.push(...w16(e.tag), ...w16(e.type), ...w32(e.count), ...field);
    }
    return [...head, ...w32(next), ...data];
  };
  const first = ifd(entries, 8, 0);
  const ifd1At = opts.ifd1 ? 8 + first.length : 0;
  const ifd0 = ifd(entries, 8, ifd1At);
  return concat(le ? 'II' : 'MM', w16(42), w32(8), ifd0, opts.ifd1 ? ifd(opts.ifd1, ifd1At, 0) : []);
}

/** An EXIF TIFF block holding only an Orientation (SHORT). */
export const orientationBlock = (orientation: number, le = true) =>
  tiffBlock([{ tag: 0x0112, type: 3, count: 1, value: exifValues(3, [orientation], le) }], { le });

// --- JPEG ------------------------------------------------------------------------------------

export function jpegSegment(marker: number, payload: Bytes | number[]): Uint8Array {
  return concat([0xff, marker], u16be(payload.length + 2), payload);
}

/** A baseline JPEG header (SOF0, SOS) of the given size, then fake scan data and EOI. */
export function jpegBytes(
  width: number,
  height: number,
  opts: { before?: Bytes[]; components?: number; sof?: number } = {},
) {
  const n = opts.components ?? 3;
  const comps: number[] = [];
  for (let i = 1; i <= n; i++) comps.push(i, i === 1 ? 0x22 : 0x11, 0);
  const scan: number[] = [n];
  for (let i = 1; i <= n; i++) scan.push(i, 0);
  scan.push(0, 63, 0);
  return concat(
    [0xff, 0xd8],
    ...(opts.before ?? []),
    jpegSegment(opts.sof ?? 0xc0, [8, ...u16be(height), ...u16be(width), n, ...comps]),
    jpegSegment(0xda, scan),
    [0x12, 0x34, 0x56, 0xff, 0xd9],
  );
}

/** An APP1 EXIF segment for a TIFF block. */
export const exifApp1 = (block: Bytes) => jpegSegment(0xe1, concat('Exif\0\0', block));

// --- PNG -------------------------------------------------------------------------------------

export function pngChunk(type: string, data: Bytes | number[] = []): Uint8Array {
  const body = concat(type, data);
  return concat(u32be(body.length - 4), body, u32be(crc32(body)));
}

/** A PNG: signature, IHDR (8-bit RGB unless told), the extra chunks, IDAT, IEND. */
export function pngBytes(
  width: number,
  height: number,
  chunks: Bytes[] = [],
  opts: { depth?: number; colour?: number } = {},
) {
  const ihdr = pngChunk('IHDR', [
    ...u32be(width),
    ...u32be(height),
    opts.depth ?? 8,
    opts.colour ?? 2,
    0,
    0,
    0,
  ]);
  return concat(
    [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
    ihdr,
    ...chunks,
    pngChunk('IDAT', [0x78, 0x9c]),
    pngChunk('IEND'),
  );
}

// --- GIF -------------------------------------------------------------------------------------

export interface GifFrame {
  x: number;
  y: number;
  w: number;
  h: number;
  /** Extension blocks before the descriptor. */
  before?: number[];
  /** LZW data (minimum code size, sub-blocks, terminator). */
  data?: number[];
}

export function gifBytes(
  screenW: number,
  screenH: number,
  frames: GifFrame[],
  opts: { trailer?: boolean; after?: number[] } = {},
) {
  const parts: (number[] | string)[] = [
    'GIF89a',
    [...u16le(screenW), ...u16le(screenH), 0x80, 0, 0],
    [0, 0, 0, 255, 255, 255],
  ];
  for (const f of frames) {
    if (f.before) parts.push(f.before);
    parts.push([0x2c, ...u16le(f.x), ...u16le(f.y), ...u16le(f.w), ...u16le(f.h), 0]);
    parts.push(f.data ?? [2, 2, 0x4c, 0x01, 0]);
  }
  if (opts.after) parts.push(opts.after);
  if (opts.trailer ?? true) parts.push([0x3b]);
  return concat(...parts);
}

// --- WebP ------------------------------------------------------------------------------------

export function riffChunk(fourcc: string, data: Bytes | number[]): Uint8Array {
  return concat(fourcc, u32le(data.length), data, data.length & 1 ? [0] : []);
}

export const riff = (...chunks: Bytes[]) => {
  const body = concat('WEBP', ...chunks);
  return concat('RIFF', u32le(body.length), body);
};

/** A lossless (VP8L) bitstream header chunk: signature, 14-bit sizes - 1, alpha, version 0. */
export function vp8l(width: number, height: number): Uint8Array {
  const bits = (width - 1) | ((height - 1) << 14);
  return riffChunk('VP8L', [0x2f, ...u32le(bits >>> 0), 0, 0, 0]);
}

/** A lossy (VP8) key frame header chunk. */
export function vp8(width: number, height: number): Uint8Array {
  const tag = (0 | (0 << 1) | (1 << 4) | (10 << 5)) >>> 0; // key frame, profile 0, shown, partition 10
  return riffChunk('VP8 ', [
    tag & 255,
    (tag >> 8) & 255,
    (tag >> 16) & 255,
    0x9d,
    0x01,
    0x2a,
    ...u16le(width),
    ...u16le(height),
    ...new Array(16).fill(0),
  ]);
}

export function vp8x(flags: number, width: number, height: number): Uint8Array {
  return riffChunk('VP8X', [flags, 0, 0, 0, ...u24le(width - 1), ...u24le(height - 1)]);
}

export function anmf(x: number, y: number, frame: Bytes, w: number, h: number): Uint8Array {
  return riffChunk(
    'ANMF',
    concat(u24le(x / 2), u24le(y / 2), u24le(w - 1), u24le(h - 1), u24le(100), [0], frame),
  );
}

// --- TIFF ------------------------------------------------------------------------------------

/** An uncompressed 8-bit RGB strip TIFF, with the extra IFD0 entries given (tags sorted in). */
export function tiffBytes(width: number, height: number, extra: IfdEntry[] = [], le = true): Uint8Array {
  const s = (tag: number, v: number): IfdEntry => ({ tag, type: 3, count: 1, value: exifValues(3, [v], le) });
  const l = (tag: number, v: number): IfdEntry => ({ tag, type: 4, count: 1, value: exifValues(4, [v], le) });
  const pixels = width * height * 3;
  const entries = [
    l(256, width),
    l(257, height),
    { tag: 258, type: 3, count: 3, value: exifValues(3, [8, 8, 8], le) },
    s(259, 1),
    s(262, 2),
    l(273, 8),
    s(277, 3),
    l(278, height),
    l(279, pixels),
    ...extra,
  ].sort((a, b) => a.tag - b.tag);
  const block = tiffBlock(entries, { le });
  // Put the pixels at offset 8 by building the IFD after them.
  const w32 = le ? u32le : u32be;
  return concat(
    block.subarray(0, 4),
    w32(8 + pixels),
    new Uint8Array(pixels),
    relocate(block.subarray(8), 8 + pixels, le),
  );
}

/** Moves an IFD built for offset 8 to `at`, fixing the offsets of out-of-line data. */
function relocate(ifd: Bytes, at: number, le: boolean): Uint8Array {
  const out = Uint8Array.from(ifd);
  const r16 = (i: number) => (le ? out[i] | (out[i + 1] << 8) : (out[i] << 8) | out[i + 1]);
  const r32 = (i: number) => (le ? u32leRead(out, i) : u32beRead(out, i));
  const w32 = le ? u32le : u32be;
  const n = r16(0);
  for (let i = 0; i < n; i++) {
    const e = 2 + 12 * i;
    const size =
      (
        { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8 } as Record<
          number,
          number
        >
      )[r16(e + 2)] ?? 0;
    if (size * r32(e + 4) > 4) out.set(w32(r32(e + 8) - 8 + at), e + 8);
  }
  return out;
}

const u32leRead = (b: Bytes, i: number) =>
  (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;
const u32beRead = (b: Bytes, i: number) =>
  ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;

// --- AVIF ------------------------------------------------------------------------------------

export const box = (type: string, ...payload: (Bytes | number[] | string)[]) => {
  const body = concat(...payload);
  return concat(u32be(body.length + 8), type, body);
};
export const fullBox = (
  type: string,
  version: number,
  flags: number,
  ...payload: (Bytes | number[] | string)[]
) => box(type, [version, (flags >> 16) & 255, (flags >> 8) & 255, flags & 255], ...payload);

export const ispe = (w: number, h: number) => fullBox('ispe', 0, 0, u32be(w), u32be(h));
export const irot = (angle: number) => box('irot', [angle]);
export const imir = (axis: number) => box('imir', [axis]);
export const clap = (wn: number, wd: number, hn: number, hd: number) =>
  box('clap', u32be(wn), u32be(wd), u32be(hn), u32be(hd), u32be(0), u32be(1), u32be(0), u32be(1));
export const av1C = box('av1C', [0x81, 0x20, 0x0c, 0x00]);
export const auxC = fullBox('auxC', 0, 0, 'urn:mpeg:mpegB:cicp:systems:auxiliary:alpha\0');

export interface AvifItem {
  id: number;
  type?: string;
  hidden?: boolean;
  /** Properties, av1C excluded (added to av01 items). */
  props?: Bytes[];
  essential?: boolean[];
}

/** An AVIF: ftyp, meta (hdlr, pitm, iloc, iinf, iref, iprp), mdat with 4 fake bytes per item. */
export function avifBytes(
  items: AvifItem[],
  primary: number,
  opts: { refs?: { type: string; from: number; to: number[] }[]; major?: string; brands?: string[] } = {},
): Uint8Array {
  const ftyp = box('ftyp', opts.major ?? 'avif', u32be(0), ...(opts.brands ?? ['mif1', 'avif', 'miaf']));
  const props: Bytes[] = [];
  const indexOf = (p: Bytes) => {
    const i = props.findIndex((q) => q.length === p.length && q.every((v, k) => v === p[k]));
    if (i >= 0) return i + 1;
    props.push(p);
    return props.length;
  };
  const ipmaEntries: number[][] = [];
  for (const it of items) {
    const type = it.type ?? 'av01';
    if (type !== 'av01' && it.props === undefined) continue;
    const list = type === 'av01' ? [av1C, ...(it.props ?? [])] : (it.props ?? []);
    const essential = type === 'av01' ? [false, ...(it.essential ?? [])] : (it.essential ?? []);
    const assoc = list.map((p, i) => indexOf(p) | (essential[i] ? 0x80 : 0));
    ipmaEntries.push([...u16be(it.id), assoc.length, ...assoc]);
  }
  const iprp = box(
    'iprp',
    box('ipco', ...props),
    fullBox('ipma', 0, 0, u32be(ipmaEntries.length), ...ipmaEntries),
  );
  const iinf = fullBox(
    'iinf',
    0,
    0,
    u16be(items.length),
    ...items.map((it) =>
      fullBox('infe', 2, it.hidden ? 1 : 0, u16be(it.id), u16be(0), it.type ?? 'av01', [0]),
    ),
  );
  const refs = opts.refs ?? [];
  const iref = refs.length
    ? [
        fullBox(
          'iref',
          0,
          0,
          ...refs.map((r) => box(r.type, u16be(r.from), u16be(r.to.length), ...r.to.map(u16be))),
        ),
      ]
    : [];
  const build = (mdatAt: number) => {
    const iloc = fullBox(
      'iloc',
      0,
      0,
      [0x44, 0x00],
      u16be(items.length),
      ...items.map((it, i) => [...u16be(it.id), 0, 0, 0, 1, ...u32be(mdatAt + 8 + 4 * i), ...u32be(4)]),
    );
    const meta = fullBox(
      'meta',
      0,
      0,
      fullBox('hdlr', 0, 0, u32be(0), 'pict', u32be(0), u32be(0), u32be(0), [0]),
      fullBox('pitm', 0, 0, u16be(primary)),
      iloc,
      iinf,
      ...iref,
      iprp,
    );
    return concat(ftyp, meta);
  };
  const head = build(build(0).length);
  return concat(head, box('mdat', new Uint8Array(4 * items.length)));
}
