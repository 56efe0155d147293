import { fits, latin1, MAX_SCAN_BYTES, u16be, u32be, u64be } from './bytes';
import type { RawHeader } from './raw-header';

/**
 * AVIF, as libvips 8.17 reads the header with libheif 1.20 (sharp passes `page: 0`, so the first
 * top-level image is read, which is the primary one in ordinary files). libheif applies the
 * image's transformations: the size is the `ispe` size, replaced by a `clap` crop and swapped by
 * an `irot` of 90° or 270°, in property order; `imir` changes nothing. libvips then drops any EXIF
 * orientation (it must not be applied twice), so there is never an orientation.
 *
 * This reader is deliberately conservative: it reproduces libheif's choice of image for files
 * whose image items are all AV1 (`av01`) and returns undefined (unknown size) for anything it
 * cannot follow exactly — grids and other derived images, image sequences without a `meta` box,
 * unknown essential properties, malformed boxes.
 */
export function readAvifHeader(b: Uint8Array): RawHeader | undefined {
  try {
    return parse(b);
  } catch (err) {
    if (err instanceof Malformed) return undefined;
    throw err;
  }
}

/** Thrown inside the parser for anything unreadable; `readAvifHeader` turns it into undefined. */
class Malformed extends Error {}

function fail(): never {
  throw new Malformed();
}

/** The `ftyp` major brands libvips' heifload accepts. */
const HEIF_MAGIC = new Set(['heic', 'heix', 'hevc', 'heim', 'heis', 'hevm', 'hevs', 'mif1', 'msf1', 'avif']);
/** libheif: at least one of these compatible brands (or a `mif3` major brand). */
const LIBHEIF_BRANDS = new Set(['heic', 'heix', 'mif1', 'avif', '1pic', 'jpeg', 'msf1']);
/** Item types libheif makes image items of. */
const IMAGE_TYPES = new Set([
  'hvc1',
  'av01',
  'grid',
  'iden',
  'iovl',
  'jpeg',
  'j2k1',
  'mski',
  'unci',
  'vvc1',
  'avc1',
  'tili',
]);

interface Box {
  type: string;
  /** Payload start (after the header) and end. */
  start: number;
  end: number;
}

/**
 * The boxes in `[start, end)` (a size-0 box runs to `end`): libheif's read_children(), which fails
 * past `max` children, or stops after `count` of them.
 */
function children(b: Uint8Array, start: number, end: number, max = 100_000, count = Infinity): Box[] {
  const out: Box[] = [];
  let pos = start;
  while (pos < end && out.length < count) {
    if (out.length >= max) fail();
    if (end - pos < 8) fail();
    let size = u32be(b, pos);
    const type = latin1(b, pos + 4, pos + 8);
    let header = 8;
    if (size === 1) {
      if (end - pos < 16) fail();
      size = u64be(b, pos + 8);
      header = 16;
    } else if (size === 0) {
      size = end - pos;
    }
    if (type === 'uuid') header += 16;
    if (size < header || size > end - pos) fail();
    out.push({ type, start: pos + header, end: pos + size });
    pos += size;
  }
  return out;
}

/** A FullBox's version and flags; the payload then starts 4 bytes later. */
function fullBox(b: Uint8Array, box: Box): { version: number; flags: number; at: number } {
  if (box.end - box.start < 4) fail();
  return {
    version: b[box.start],
    flags: (b[box.start + 1] << 16) | (b[box.start + 2] << 8) | b[box.start + 3],
    at: box.start + 4,
  };
}

/** A bounds-checked cursor over one box's payload. */
class Reader {
  constructor(
    private readonly b: Uint8Array,
    public at: number,
    private readonly end: number,
  ) {}
  need(n: number): void {
    if (this.end - this.at < n) fail();
  }
  u8(): number {
    this.need(1);
    return this.b[this.at++];
  }
  u16(): number {
    this.need(2);
    const v = u16be(this.b, this.at);
    this.at += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = u32be(this.b, this.at);
    this.at += 4;
    return v;
  }
  sized(bytes: number): number {
    if (bytes === 4) return this.u32();
    if (bytes === 8) {
      this.need(8);
      const v = u64be(this.b, this.at);
      this.at += 8;
      return v;
    }
    return 0;
  }
  fourcc(): string {
    this.need(4);
    const v = latin1(this.b, this.at, this.at + 4);
    this.at += 4;
    return v;
  }
  /** A NUL-terminated string (empty when no data is left, like libheif's read_string). */
  string(): string {
    let s = '';
    if (this.left === 0) return s;
    for (let c = this.u8(); c !== 0; c = this.u8()) s += String.fromCharCode(c);
    return s;
  }
  skipString(): void {
    this.string();
  }
  skip(n: number): void {
    this.need(n);
    this.at += n;
  }
  get left(): number {
    return this.end - this.at;
  }
}

interface Association {
  index: number;
  essential: boolean;
}

function parse(b: Uint8Array): RawHeader | undefined {
  // libvips heifload is_a(): the first box is a small ftyp with a HEIF major brand.
  if (b.length < 12) return undefined;
  const ftypSize = u32be(b, 0);
  if (ftypSize > 2048 || ftypSize % 4 !== 0) return undefined;
  if (latin1(b, 4, 8) !== 'ftyp' || !HEIF_MAGIC.has(latin1(b, 8, 12))) return undefined;

  // libheif's file layout: ftyp within the first 1024 bytes, then box headers up to a full meta.
  if (b.length < 32 || ftypSize < 16 || ftypSize > Math.min(1024, b.length)) return undefined;
  const major = latin1(b, 8, 12);
  const brands: string[] = [];
  for (let at = 16; at + 4 <= ftypSize; at += 4) brands.push(latin1(b, at, at + 4));
  if (major !== 'mif3' && !brands.some((x) => LIBHEIF_BRANDS.has(x))) return undefined;

  let meta: Box | undefined;
  let pos = ftypSize;
  for (let boxes = 0; pos + 32 <= b.length; boxes++) {
    if (boxes > 10_000 || pos > MAX_SCAN_BYTES || !fits(b, pos, 8)) return undefined;
    let size = u32be(b, pos);
    const type = latin1(b, pos + 4, pos + 8);
    let header = 8;
    if (size === 1) {
      size = u64be(b, pos + 8);
      header = 16;
    }
    if (type === 'mini' || type === 'moov') return undefined; // not followed here
    if (type === 'meta') {
      if (size === 0 || meta !== undefined || size < header || size > b.length - pos) return undefined;
      meta = { type, start: pos + header, end: pos + size };
    }
    if (size === 0) break;
    if (size < 2) return undefined;
    pos += size;
  }
  if (meta === undefined) return undefined;
  return readMeta(b, meta);
}

function readMeta(b: Uint8Array, meta: Box): RawHeader | undefined {
  const { version, at } = fullBox(b, meta);
  if (version !== 0) return undefined;
  const boxes = children(b, at, meta.end, 101);
  const first = (type: string) => boxes.find((x) => x.type === type);

  const hdlr = first('hdlr');
  if (hdlr !== undefined) {
    const full = fullBox(b, hdlr);
    if (full.version !== 0) return undefined;
    const r = new Reader(b, full.at, hdlr.end);
    r.u32(); // pre_defined
    const handler = r.fourcc();
    r.u32();
    r.u32();
    r.u32();
    r.skipString();
    if (handler !== 'pict') return undefined;
  }
  const pitm = first('pitm');
  const iprp = first('iprp');
  const iloc = first('iloc');
  const iinf = first('iinf');
  if (pitm === undefined || iprp === undefined || iloc === undefined || iinf === undefined) return undefined;

  const pitmBox = fullBox(b, pitm);
  if (pitmBox.version > 1) return undefined;
  const primary = new Reader(b, pitmBox.at, pitm.end)[pitmBox.version === 0 ? 'u16' : 'u32']();
  const iprpChildren = children(b, iprp.start, iprp.end, 101);
  const ipco = iprpChildren.find((x) => x.type === 'ipco');
  const ipmas = iprpChildren.filter((x) => x.type === 'ipma');
  if (ipco === undefined || ipmas.length === 0) return undefined;
  const properties = children(b, ipco.start, ipco.end, 101);
  properties.forEach((p) => checkProperty(b, p));
  const associations = readIpma(b, ipmas);
  const locations = readIloc(b, iloc);
  const items = readIinf(b, iinf);
  const refs = readIref(b, first('iref'));
  const idat = first('idat');

  // A cycle of derived-image ('dimg') references reachable from the primary item is refused.
  checkNoCycle(refs, primary);

  // Image items, in item ID order (libheif keeps them in a map).
  const isImage = (item: Item) =>
    IMAGE_TYPES.has(item.type) || (item.type === 'mime' && item.contentType === 'image/jpeg');
  const images = items.filter(isImage).sort((x, y) => x.id - y.id);
  const imageIds = new Set(images.map((x) => x.id));
  const itemById = new Map(items.map((x) => [x.id, x]));
  const itemIds = new Set(itemById.keys());
  if (images.some((x) => x.type !== 'av01')) return undefined; // only plain AV1 images are followed
  if (items.some((x) => x.type === 'rgan')) return undefined; // region items: not followed
  if (!images.some((x) => x.id === primary && !x.hidden)) return undefined;

  const propsOf = new Map<number, Box[]>();
  for (const image of images) {
    const assoc = associations.get(image.id);
    if (assoc === undefined) return undefined; // "no properties assigned"
    const list: Box[] = [];
    for (const a of assoc) {
      if (a.index > properties.length) return undefined;
      if (a.index === 0) continue;
      const p = properties[a.index - 1];
      if (a.essential && !KNOWN_PROPERTIES.has(p.type)) return undefined;
      if (p.type === 'cmin' || p.type === 'cmex') return undefined;
      list.push(p);
    }
    // An av01 item without av1C fails to load.
    if (!list.some((p) => p.type === 'av1C')) return undefined;
    propsOf.set(image.id, list);
  }

  // Metadata items: Exif and MIME data is read at load time and must be there.
  for (const item of items) {
    if (isImage(item)) continue;
    if (item.type === 'mime' && item.contentEncoding !== '') return undefined; // compressed: not followed
    if (item.type === 'Exif' || item.type === 'mime') checkItemData(b, locations.get(item.id), idat);
  }
  for (const ref of refs) {
    // Metadata items' descriptions ('cdsc') must name existing items.
    const from = itemById.get(ref.from);
    if (
      ref.type === 'cdsc' &&
      from !== undefined &&
      !isImage(from) &&
      ref.to.some((to) => !itemIds.has(to))
    ) {
      return undefined;
    }
    if (ref.type === 'prem' && !imageIds.has(ref.from) && itemIds.has(ref.from)) return undefined;
  }

  // Top-level images: not hidden, not a thumbnail, not an auxiliary image of an existing image.
  const topLevel = new Set(images.filter((x) => !x.hidden).map((x) => x.id));
  const thumbnails = new Set<number>();
  for (const ref of refs) {
    if (!imageIds.has(ref.from)) continue;
    if (ref.type === 'thmb') {
      for (const to of ref.to) {
        if (!imageIds.has(to) || to === ref.from) return undefined;
      }
      thumbnails.add(ref.from);
      topLevel.delete(ref.from);
    } else if (ref.type === 'auxl') {
      if (!(propsOf.get(ref.from) ?? []).some((p) => p.type === 'auxC')) return undefined;
      for (const to of ref.to) {
        if (!imageIds.has(to)) {
          if (!itemIds.has(to)) return undefined;
          continue;
        }
        if (to === ref.from) return undefined;
        topLevel.delete(ref.from);
      }
    }
  }
  for (const ref of refs) {
    if (ref.type === 'thmb' && imageIds.has(ref.from) && ref.to.some((to) => thumbnails.has(to)))
      return undefined;
  }

  const page = [...topLevel].sort((x, y) => x - y)[0];
  if (page === undefined) return undefined;
  // Every image's transformations must be usable, or libheif refuses the file.
  let size: { width: number; height: number } | undefined;
  for (const image of images) {
    const s = transformedSize(b, propsOf.get(image.id) ?? []);
    if (image.id === page) size = s;
  }
  // libvips refuses empty sizes. Over VIPS_MAX_COORD (100,000,000) it cannot set the size at all
  // and reports a placeholder 1 that decoding then fails on: report that as unknown instead.
  if (size === undefined || size.width <= 0 || size.height <= 0) return undefined;
  if (size.width > 100_000_000 || size.height > 100_000_000) return undefined;
  return size;
}

/** Properties whose parsing is checked here (a parse error in most of them is fatal in libheif). */
const KNOWN_PROPERTIES = new Set([
  'ispe',
  'irot',
  'imir',
  'clap',
  'colr',
  'av1C',
  'auxC',
  'pixi',
  'a1op',
  'a1lx',
  'lsel',
  'pasp',
  'clli',
  'mdcv',
]);

/** Fails where libheif's parser for the property would fail. */
function checkProperty(b: Uint8Array, p: Box): void {
  const r = new Reader(b, p.start, p.end);
  switch (p.type) {
    case 'ispe': {
      const full = fullBox(b, p);
      if (full.version !== 0) fail();
      new Reader(b, full.at, p.end).need(8);
      break;
    }
    case 'colr': {
      const type = r.fourcc();
      if (type === 'nclx') r.need(7);
      else if (type !== 'prof' && type !== 'rICC') fail();
      break;
    }
    case 'av1C':
      r.need(4);
      break;
    case 'auxC': {
      const full = fullBox(b, p);
      if (full.version !== 0) fail();
      new Reader(b, full.at, p.end).skipString();
      break;
    }
    case 'a1op':
      r.need(1);
      break;
    case 'lsel':
      r.need(2);
      break;
    case 'clli':
      r.need(4);
      break;
    case 'pasp':
      r.need(8);
      break;
    case 'mdcv':
      r.need(24);
      break;
    case 'a1lx': {
      const large = r.u8() & 1;
      r.need(large ? 12 : 6);
      break;
    }
    // irot, imir and clap errors only matter for images that use them (transformedSize);
    // pixi errors are ignored by libheif.
  }
}

/** libheif's interpret_heif_file_images(): ispe, then clap and irot in property order. */
function transformedSize(b: Uint8Array, props: Box[]): { width: number; height: number } {
  let width = 0;
  let height = 0;
  let ispe = false;
  for (const p of props) {
    if (p.type !== 'ispe') continue;
    const r = new Reader(b, fullBox(b, p).at, p.end);
    width = r.u32();
    height = r.u32();
    if (width === 0 || height === 0) fail();
    ispe = true;
  }
  for (const p of props) {
    if (p.type === 'clap') {
      const r = new Reader(b, p.start, p.end);
      const [wn, wd, hn, hd, , hod, , vod] = [
        r.u32(),
        r.u32(),
        r.u32(),
        r.u32(),
        r.u32(),
        r.u32(),
        r.u32(),
        r.u32(),
      ];
      if ([wn, wd, hn, hd, hod, vod].some((v) => v > 0x7fffffff)) fail();
      if (wd === 0 || hd === 0 || hod === 0 || vod === 0) fail();
      // Fraction::round(): (n + d / 2) / d in integers.
      width = Math.floor((wn + Math.floor(wd / 2)) / wd);
      height = Math.floor((hn + Math.floor(hd / 2)) / hd);
    } else if (p.type === 'imir') {
      new Reader(b, p.start, p.end).u8();
      if (!ispe) fail();
    } else if (p.type === 'irot') {
      const angle = new Reader(b, p.start, p.end).u8() & 3;
      if (angle === 1 || angle === 3) {
        if (!ispe) fail();
        [width, height] = [height, width];
      }
    }
  }
  return { width, height };
}

function readIpma(b: Uint8Array, boxes: Box[]): Map<number, Association[]> {
  const out = new Map<number, Association[]>();
  for (const box of boxes) {
    const { version, flags, at } = fullBox(b, box);
    if (version > 1) fail();
    const r = new Reader(b, at, box.end);
    const count = r.u32();
    if (count > 1000) fail();
    for (let i = 0; i < count && r.left > 0; i++) {
      const id = version < 1 ? r.u16() : r.u32();
      const n = r.u8();
      const list: Association[] = [];
      for (let j = 0; j < n; j++) {
        if (flags & 1) {
          const v = r.u16();
          list.push({ essential: (v & 0x8000) !== 0, index: v & 0x7fff });
        } else {
          const v = r.u8();
          list.push({ essential: (v & 0x80) !== 0, index: v & 0x7f });
        }
      }
      // libheif merges later ipma boxes into the first; the first entry for an item wins.
      if (!out.has(id)) out.set(id, list);
    }
  }
  return out;
}

interface Location {
  method: number;
  base: number;
  extents: { offset: number; length: number }[];
}

function readIloc(b: Uint8Array, box: Box): Map<number, Location> {
  const { version, at } = fullBox(b, box);
  if (version > 2) fail();
  const r = new Reader(b, at, box.end);
  const sizes = r.u16();
  const offsetSize = (sizes >> 12) & 15;
  const lengthSize = (sizes >> 8) & 15;
  const baseSize = (sizes >> 4) & 15;
  const indexSize = version >= 1 ? sizes & 15 : 0;
  const count = version < 2 ? r.u16() : r.u32();
  if (count > 1000) fail();
  const out = new Map<number, Location>();
  for (let i = 0; i < count; i++) {
    if (r.left <= 0) fail();
    const id = version < 2 ? r.u16() : r.u32();
    const method = version >= 1 ? r.u16() & 15 : 0;
    r.u16(); // data_reference_index
    const base = r.sized(baseSize);
    const n = r.u16();
    if (n > 32) fail();
    const extents: { offset: number; length: number }[] = [];
    for (let e = 0; e < n; e++) {
      if (r.left <= 0) fail();
      if (version >= 1 && indexSize > 0) r.sized(indexSize);
      const offset = r.sized(offsetSize);
      const length = r.sized(lengthSize);
      extents.push({ offset, length });
    }
    if (!out.has(id)) out.set(id, { method, base, extents });
  }
  return out;
}

/** Box_iloc::read_data(): every extent must lie inside the file (or the idat box). */
function checkItemData(b: Uint8Array, location: Location | undefined, idat: Box | undefined): void {
  if (location === undefined) fail(); // "has no compressed data"
  for (const { offset, length } of location.extents) {
    const start = offset + location.base;
    if (location.method === 0) {
      if (start + length > b.length) fail();
    } else if (location.method === 1) {
      if (idat === undefined || start + length > idat.end - idat.start) fail();
    } else {
      fail(); // construction methods not followed here
    }
  }
}

interface Item {
  id: number;
  type: string;
  hidden: boolean;
  contentType: string;
  contentEncoding: string;
}

function readIinf(b: Uint8Array, box: Box): Item[] {
  const { version, at } = fullBox(b, box);
  const r = new Reader(b, at, box.end);
  const count = version === 0 ? r.u16() : r.u32();
  if (count === 0) return [];
  const items: Item[] = [];
  // Over 10,000 items: not followed here (libheif's other tables stop at 1000 items).
  for (const infe of children(b, r.at, box.end, 10_000, count)) {
    if (infe.type !== 'infe') continue;
    const full = fullBox(b, infe);
    if (full.version > 3) fail();
    const e = new Reader(b, full.at, infe.end);
    if (full.version <= 1) {
      e.u16();
      e.u16();
      e.skipString();
      e.skipString();
      e.skipString();
      continue; // no item type: not an image, no data libheif reads
    }
    const id = full.version === 2 ? e.u16() : e.u32();
    e.u16(); // protection index
    const type = e.fourcc();
    e.skipString();
    let contentType = '';
    let contentEncoding = '';
    if (type === 'mime') {
      contentType = e.string();
      contentEncoding = e.string();
    } else if (type === 'uri ') {
      e.skipString();
    }
    items.push({ id, type, hidden: (full.flags & 1) !== 0, contentType, contentEncoding });
  }
  // Items with the same ID: libheif's map keeps the first.
  const seen = new Set<number>();
  return items.filter((item) => !seen.has(item.id) && seen.add(item.id) !== undefined);
}

interface Reference {
  type: string;
  from: number;
  to: number[];
}

/** Box_iref::parse(): references read back to back (their box sizes are not used). */
function readIref(b: Uint8Array, box: Box | undefined): Reference[] {
  if (box === undefined) return [];
  const { version, at } = fullBox(b, box);
  if (version > 1) fail();
  const r = new Reader(b, at, box.end);
  const out: Reference[] = [];
  let total = 0;
  while (r.left > 0) {
    const size = r.u32();
    const type = r.fourcc();
    if (size === 1) r.sized(8);
    if (type === 'uuid') r.skip(16);
    const from = version === 0 ? r.u16() : r.u32();
    const n = r.u16();
    if (n === 0 || n > 1000) fail();
    const to = new Set<number>();
    for (let i = 0; i < n; i++) {
      if (r.left <= 0) fail();
      const id = version === 0 ? r.u16() : r.u32();
      if (to.has(id)) fail(); // "double references"
      to.add(id);
    }
    out.push({ type, from, to: [...to] });
    total += n;
    if (total > 100_000) fail(); // not followed here
  }
  return out;
}

function checkNoCycle(refs: Reference[], start: number): void {
  const derived = new Map<number, number[]>();
  for (const ref of refs) {
    if (ref.type !== 'dimg') continue;
    const list = derived.get(ref.from) ?? [];
    list.push(...ref.to);
    derived.set(ref.from, list);
  }
  const parents = new Set<number>();
  const done = new Set<number>();
  const visit = (id: number): void => {
    if (parents.has(id) || parents.size > 1000) fail();
    if (done.has(id)) return;
    parents.add(id);
    for (const to of derived.get(id) ?? []) visit(to);
    parents.delete(id);
    done.add(id);
  };
  visit(start);
}
