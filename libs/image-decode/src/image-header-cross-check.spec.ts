import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { crc32 } from 'node:zlib';
import {
  isSupportedFormat,
  readImageHeader,
  sniffImageFormat,
  type ImageHeader,
} from '@internvl/image-format';
import sharp from 'sharp';

// The pure-TypeScript header reader of @internvl/image-format must say exactly what sharp says
// (the size decodeImage will see: the first page, turned by EXIF orientation 5-8 when autoOrient):
// here for images sharp itself writes, the test fixtures, EXIF blocks of every shape put into
// JPEG/PNG/WebP, and truncated and corrupted copies of all of these.

const repoRoot = process.env.INTERNVL_REPO_ROOT ?? resolve(__dirname, '../../..');

type Both = [ImageHeader | undefined, ImageHeader | undefined];

/** What the sharp-based reader returned, for autoOrient false and true. */
async function sharpHeader(bytes: Uint8Array): Promise<Both> {
  if (!isSupportedFormat(sniffImageFormat(bytes))) return [undefined, undefined];
  try {
    const input = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const meta = await sharp(input, { limitInputPixels: false, pages: 1, page: 0 }).metadata();
    const width = meta.width ?? 0;
    const height = meta.pageHeight ?? meta.height ?? 0;
    if (width <= 0 || height <= 0) return [undefined, undefined];
    const turned = (meta.orientation ?? 1) >= 5;
    return [{ width, height }, turned ? { width: height, height: width } : { width, height }];
  } catch {
    return [undefined, undefined];
  }
}

const pureHeader = (bytes: Uint8Array): Both => [readImageHeader(bytes, false), readImageHeader(bytes, true)];

/**
 * Compares every case and reports all differences at once. `tolerateAvifPlaceholder`: for
 * corrupted AVIFs declaring a size over 100,000,000, libvips cannot set the size and reports a
 * placeholder 1, where the pure reader says "unknown" (undefined) instead.
 */
async function crossCheck(
  cases: Iterable<[string, Uint8Array]>,
  tolerateAvifPlaceholder = false,
): Promise<number> {
  const differences: string[] = [];
  let count = 0;
  for (const [name, bytes] of cases) {
    count++;
    const want = await sharpHeader(bytes);
    const got = pureHeader(bytes);
    if (JSON.stringify(want) === JSON.stringify(got)) continue;
    const placeholder =
      tolerateAvifPlaceholder &&
      sniffImageFormat(bytes) === 'avif' &&
      got[0] === undefined &&
      got[1] === undefined &&
      want[0] !== undefined &&
      (want[0].width === 1 || want[0].height === 1);
    if (!placeholder) differences.push(`${name}: sharp ${JSON.stringify(want)}, pure ${JSON.stringify(got)}`);
  }
  assert.deepEqual(differences, [], `${differences.length} of ${count} cases differ`);
  return count;
}

/** A deterministic test image: `channels` bands of a pattern, optionally several pages. */
function raw(width: number, height: number, channels: 1 | 3 | 4 = 3, pages = 1): sharp.Sharp {
  const data = Buffer.alloc(width * height * pages * channels);
  for (let i = 0; i < data.length; i++)
    data[i] = (i * 37 + ((i / 7) | 0) + ((i / (width * height * channels)) | 0) * 50) & 255;
  return sharp(data, {
    raw: { width, height: height * pages, channels, ...(pages > 1 ? { pageHeight: height } : {}) },
  });
}

/** Images sharp writes: every format, odd and large sizes, orientations, pages, bit depths. */
let generated: Promise<[string, Uint8Array][]> | undefined;
const sharpImages = () => (generated ??= writeImages());

async function writeImages(): Promise<[string, Uint8Array][]> {
  const out: [string, Uint8Array][] = [];
  const add = async (name: string, image: Promise<Buffer>) => out.push([name, new Uint8Array(await image)]);
  const sizes: [number, number][] = [
    [1, 1],
    [3000, 17],
    [17, 3000],
    [4000, 3000],
    [23, 17],
    [640, 480],
    [2049, 5],
    [300, 200],
  ];
  for (const [w, h] of sizes) {
    if (w * h > 2_000_000) {
      // Large: a flat image, which every encoder writes quickly.
      const flat = () => sharp({ create: { width: w, height: h, channels: 3, background: '#336699' } });
      await add(`jpeg ${w}x${h}`, flat().jpeg().toBuffer());
      await add(`png ${w}x${h}`, flat().png().toBuffer());
      await add(`tiff ${w}x${h}`, flat().tiff({ compression: 'deflate' }).toBuffer());
      await add(`webp ${w}x${h}`, flat().webp({ effort: 0 }).toBuffer());
      await add(`avif ${w}x${h}`, flat().avif({ effort: 0 }).toBuffer());
      continue;
    }
    await add(`jpeg ${w}x${h}`, raw(w, h).jpeg().toBuffer());
    await add(`png ${w}x${h}`, raw(w, h).png().toBuffer());
    await add(`tiff ${w}x${h}`, raw(w, h).tiff().toBuffer());
    await add(`webp ${w}x${h}`, raw(w, h).webp({ effort: 0 }).toBuffer());
    await add(`gif ${w}x${h}`, raw(w, h).gif({ effort: 1 }).toBuffer());
    await add(`avif ${w}x${h}`, raw(w, h).avif({ effort: 0 }).toBuffer());
  }
  for (let orientation = 1; orientation <= 8; orientation++) {
    const oriented = () => raw(23, 17).withMetadata({ orientation });
    await add(`jpeg orientation ${orientation}`, oriented().jpeg().toBuffer());
    await add(`png orientation ${orientation}`, oriented().png().toBuffer());
    await add(`webp orientation ${orientation}`, oriented().webp().toBuffer());
    await add(`tiff orientation ${orientation}`, oriented().tiff().toBuffer());
    await add(`gif orientation ${orientation}`, oriented().gif().toBuffer());
    await add(`avif orientation ${orientation}`, oriented().avif({ effort: 0 }).toBuffer());
    const exif = { IFD0: { Orientation: String(orientation), Make: 'test' } };
    await add(`jpeg withExif orientation ${orientation}`, raw(31, 7).withExif(exif).jpeg().toBuffer());
    await add(`webp withExif orientation ${orientation}`, raw(31, 7).withExif(exif).webp().toBuffer());
    await add(`png withExif orientation ${orientation}`, raw(31, 7).withExif(exif).png().toBuffer());
  }
  const exifJpeg = await raw(31, 7).withMetadata({ orientation: 6 }).jpeg().toBuffer();
  await add('jpeg keepExif', sharp(exifJpeg).keepExif().jpeg().toBuffer());
  await add('jpeg progressive', raw(301, 77).jpeg({ progressive: true }).toBuffer());
  await add('jpeg cmyk', raw(31, 17).toColourspace('cmyk').jpeg().toBuffer());
  await add('jpeg grey', raw(31, 17).greyscale().jpeg().toBuffer());
  await add('jpeg 4:4:4', raw(31, 17).jpeg({ chromaSubsampling: '4:4:4' }).toBuffer());
  await add('jpeg mozjpeg', raw(33, 19).jpeg({ mozjpeg: true }).toBuffer());
  await add('png 16-bit', raw(31, 17).toColourspace('rgb16').png().toBuffer());
  await add('png palette', raw(31, 17).png({ palette: true }).toBuffer());
  await add('png 1-bit palette', raw(31, 17).greyscale().png({ palette: true, colours: 2 }).toBuffer());
  await add('png interlaced', raw(31, 17).png({ progressive: true }).toBuffer());
  await add('png alpha', raw(31, 17, 4).png().toBuffer());
  await add('png grey', raw(31, 17, 1).png().toBuffer());
  await add('webp lossless', raw(31, 17).webp({ lossless: true }).toBuffer());
  await add('webp alpha', raw(31, 17, 4).webp().toBuffer());
  await add('webp alpha lossless', raw(31, 17, 4).webp({ lossless: true }).toBuffer());
  await add('webp 16383 wide', raw(16383, 3).webp().toBuffer());
  for (const [w, h, n] of [
    [20, 10, 3],
    [7, 5, 5],
    [640, 480, 2],
  ]) {
    await add(`gif ${n} frames ${w}x${h}`, raw(w, h, 4, n).gif().toBuffer());
    await add(`webp ${n} frames ${w}x${h}`, raw(w, h, 4, n).webp().toBuffer());
    await add(`webp lossless ${n} frames ${w}x${h}`, raw(w, h, 4, n).webp({ lossless: true }).toBuffer());
    await add(`tiff ${n} pages ${w}x${h}`, raw(w, h, 4, n).tiff().toBuffer());
  }
  await add('tiff lzw', raw(31, 17).tiff({ compression: 'lzw' }).toBuffer());
  await add(
    'tiff deflate predictor',
    raw(31, 17).tiff({ compression: 'deflate', predictor: 'horizontal' }).toBuffer(),
  );
  await add('tiff uncompressed', raw(31, 17).tiff({ compression: 'none' }).toBuffer());
  await add('tiff packbits', raw(31, 17).tiff({ compression: 'packbits' }).toBuffer());
  await add('tiff tiled', raw(300, 200).tiff({ tile: true, tileWidth: 64, tileHeight: 64 }).toBuffer());
  await add('tiff pyramid', raw(600, 400).tiff({ tile: true, pyramid: true }).toBuffer());
  await add('tiff bigtiff', raw(31, 17).tiff({ bigtiff: true }).toBuffer());
  await add('tiff 1-bit', raw(31, 17).greyscale().tiff({ bitdepth: 1 }).toBuffer());
  await add('tiff 2-bit', raw(31, 17).greyscale().tiff({ bitdepth: 2 }).toBuffer());
  await add('tiff 4-bit', raw(31, 17).greyscale().tiff({ bitdepth: 4 }).toBuffer());
  await add('tiff 16-bit', raw(31, 17).toColourspace('rgb16').tiff().toBuffer());
  await add('tiff cmyk', raw(31, 17).toColourspace('cmyk').tiff().toBuffer());
  await add('tiff float', raw(31, 17).tiff({ compression: 'none' }).toBuffer());
  await add('avif alpha', raw(31, 17, 4).avif({ effort: 0 }).toBuffer());
  await add('avif lossless', raw(31, 17).avif({ effort: 0, lossless: true }).toBuffer());
  await add('avif 4:4:4', raw(31, 17).avif({ effort: 0, chromaSubsampling: '4:4:4' }).toBuffer());
  await add('heif av1 1x1', raw(1, 1).heif({ compression: 'av1', effort: 0 }).toBuffer());
  return out;
}

/** Every image under test/fixtures. */
function fixtureImages(): [string, Uint8Array][] {
  const out: [string, Uint8Array][] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(jpe?g|png|gif|webp|tiff?|avif)$/i.test(name))
        out.push([path, new Uint8Array(readFileSync(path))]);
    }
  };
  walk(resolve(repoRoot, 'test/fixtures'));
  return out;
}

// --- EXIF blocks of every shape ---------------------------------------------------------------

function exifBlock(
  type: number,
  count: number,
  values: number[],
  le: boolean,
  extra?: 'dup' | 'ifd1' | 'offset',
): Buffer {
  const size =
    ({ 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8 } as Record<number, number>)[
      type
    ] ?? 2;
  const data = Buffer.alloc(Math.max(size * Math.max(count, 1), 4));
  values.forEach((v, i) => {
    const at = i * size;
    if (at + size > data.length) return;
    if (size === 1) data.writeUInt8(v & 255, at);
    else if (size === 2) data[le ? 'writeUInt16LE' : 'writeUInt16BE'](v & 0xffff, at);
    else if (size === 4) data[le ? 'writeUInt32LE' : 'writeUInt32BE'](v >>> 0, at);
    else {
      data[le ? 'writeUInt32LE' : 'writeUInt32BE'](v >>> 0, at);
      data[le ? 'writeUInt32LE' : 'writeUInt32BE'](1, at + 4);
    }
  });
  const inline = size * count <= 4;
  const entries: [number, number, number, Buffer][] = [[0x0112, type, count, data]];
  if (extra === 'dup') entries.push([0x0112, 3, 1, Buffer.from(le ? [3, 0, 0, 0] : [0, 3, 0, 0])]);
  const n = entries.length;
  const w16 = (v: number) => Buffer.from(le ? [v & 255, v >> 8] : [v >> 8, v & 255]);
  const w32 = (v: number) => {
    const b = Buffer.alloc(4);
    b[le ? 'writeUInt32LE' : 'writeUInt32BE'](v >>> 0);
    return b;
  };
  const ifdEnd = 8 + 2 + 12 * n + 4;
  const parts: Buffer[] = [
    Buffer.from(le ? 'II' : 'MM'),
    w16(42),
    w32(extra === 'ifd1' ? ifdEnd + data.length : 8),
  ];
  const ifd = (list: typeof entries, next: number) => [
    w16(list.length),
    ...list.map(([tag, t, c, d], i) =>
      Buffer.concat([
        w16(tag),
        w16(t),
        w32(c),
        i === 0 && !inline ? w32(extra === 'offset' ? 60_000 : ifdEnd) : d.subarray(0, 4),
      ]),
    ),
    w32(next),
  ];
  if (extra === 'ifd1') {
    // IFD0 holds something else; the orientation sits in IFD1.
    parts.push(data, ...ifd([[0x011a, 4, 1, w32(72)]], 0));
    return Buffer.concat(parts);
  }
  parts.push(...ifd(entries, 0), inline ? Buffer.alloc(0) : data);
  return Buffer.concat(parts);
}

function* exifBlocks(): Generator<[string, Buffer]> {
  for (const le of [true, false]) {
    for (const type of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 99]) {
      for (const value of [0, 1, 3, 5, 6, 8, 9, 255, 0x10006]) {
        if (type === 99 && value !== 6) continue;
        yield [`${le ? 'II' : 'MM'} type ${type} value ${value}`, exifBlock(type, 1, [value], le)];
      }
      for (const count of [0, 2, 9, 10]) {
        yield [
          `${le ? 'II' : 'MM'} type ${type} count ${count}`,
          exifBlock(type, count, [6, 3, 3, 3, 3, 3, 3, 3, 3, 3], le),
        ];
      }
    }
    for (const extra of ['dup', 'ifd1', 'offset'] as const) {
      yield [`${le ? 'II' : 'MM'} ${extra}`, exifBlock(3, extra === 'offset' ? 3 : 1, [6, 6, 6], le, extra)];
    }
  }
}

const pngChunk = (type: string, data: Buffer) => {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
};

/** A block put into a JPEG (APP1, first or second), a PNG (eXIf before/after IDAT), a WebP. */
async function exifCarriers(): Promise<[string, Uint8Array][]> {
  const jpeg = await raw(23, 17).jpeg().toBuffer();
  const png = await raw(23, 17).png().toBuffer();
  const vp8l = (await raw(23, 17).webp({ lossless: true }).toBuffer()).subarray(12);
  const app1 = (payload: Buffer) => {
    const head = Buffer.from([0xff, 0xe1, 0, 0]);
    head.writeUInt16BE(payload.length + 2, 2);
    return Buffer.concat([head, payload]);
  };
  const exif = (block: Buffer) => Buffer.concat([Buffer.from('Exif\0\0'), block]);
  const idat = png.indexOf('IDAT', 8, 'latin1') - 4;
  const iend = png.length - 12;
  const riffChunk = (fourcc: string, data: Buffer) => {
    const head = Buffer.alloc(8);
    head.write(fourcc, 0, 'latin1');
    head.writeUInt32LE(data.length, 4);
    return Buffer.concat([head, data, Buffer.alloc(data.length & 1)]);
  };
  const webp = (block: Buffer, flags: number) => {
    const vp8x = Buffer.alloc(10);
    vp8x[0] = flags;
    vp8x.writeUIntLE(22, 4, 3);
    vp8x.writeUIntLE(16, 7, 3);
    const body = Buffer.concat([
      Buffer.from('WEBP'),
      riffChunk('VP8X', vp8x),
      vp8l,
      riffChunk('EXIF', block),
    ]);
    const head = Buffer.from('RIFF\0\0\0\0');
    head.writeUInt32LE(body.length, 4);
    return Buffer.concat([head, body]);
  };
  const other = exifBlock(3, 1, [3], true);
  const out: [string, Uint8Array][] = [];
  for (const [name, block] of exifBlocks()) {
    out.push(
      [`jpeg ${name}`, Buffer.concat([jpeg.subarray(0, 2), app1(exif(block)), jpeg.subarray(2)])],
      [
        `jpeg ${name}, then another`,
        Buffer.concat([jpeg.subarray(0, 2), app1(exif(block)), app1(exif(other)), jpeg.subarray(2)]),
      ],
      [
        `jpeg another, then ${name}`,
        Buffer.concat([jpeg.subarray(0, 2), app1(exif(other)), app1(exif(block)), jpeg.subarray(2)]),
      ],
      [`png ${name}`, Buffer.concat([png.subarray(0, idat), pngChunk('eXIf', block), png.subarray(idat)])],
      [
        `png ${name} after IDAT`,
        Buffer.concat([png.subarray(0, iend), pngChunk('eXIf', block), png.subarray(iend)]),
      ],
      [`webp ${name}`, webp(block, 0x08)],
      [`webp ${name} with Exif header`, webp(exif(block), 0x08)],
      [`webp ${name} unflagged`, webp(block, 0)],
    );
  }
  return out;
}

// --- damaged copies ---------------------------------------------------------------------------

function* damaged(images: [string, Uint8Array][], perImage: number): Generator<[string, Uint8Array]> {
  let seed = 20240611;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return Math.floor((seed / 0x80000000) * n);
  };
  for (const [name, bytes] of images) {
    if (bytes.length > 20_000) continue;
    // Truncations: every length in the first 300 bytes (headers), then a spread.
    for (let n = 0; n < Math.min(bytes.length, 300); n++) yield [`${name} cut at ${n}`, bytes.subarray(0, n)];
    for (let n = 300; n < bytes.length; n += Math.max(1, Math.floor(bytes.length / 40))) {
      yield [`${name} cut at ${n}`, bytes.subarray(0, n)];
    }
    // Corruptions: a few bytes changed, mostly in the header region.
    for (let i = 0; i < perImage; i++) {
      const copy = Uint8Array.from(bytes);
      const changes: string[] = [];
      const region = random(10) < 7 ? Math.min(bytes.length, 256) : bytes.length;
      for (let k = 0, n = 1 + random(4); k < n; k++) {
        const at = random(region);
        copy[at] = [copy[at] ^ (1 << random(8)), 0, 0xff, copy[at] + 1, random(256)][random(5)] & 255;
        changes.push(`${at}=${copy[at]}`);
      }
      yield [`${name} with ${changes.join(',')}`, copy];
    }
  }
}

describe('readImageHeader of @internvl/image-format agrees with sharp', () => {
  test('images sharp writes', async (t) => {
    const count = await crossCheck(await sharpImages());
    t.diagnostic(`${count} cases`);
    assert.ok(count > 150);
  });

  test('the test fixtures', async (t) => {
    const count = await crossCheck(fixtureImages());
    t.diagnostic(`${count} cases`);
    assert.ok(count >= 20);
  });

  test('EXIF orientation blocks of every shape, in JPEG, PNG and WebP', async (t) => {
    const count = await crossCheck(await exifCarriers());
    t.diagnostic(`${count} cases`);
    assert.ok(count > 1000);
  });

  test('truncated and corrupted copies', async (t) => {
    const small = (await sharpImages()).filter(([name]) =>
      /23x17|1x1|orientation [16]|frames 7x5|pages 7x5|alpha|1-bit|bigtiff|tiled|grey/.test(name),
    );
    const count = await crossCheck(
      damaged([...small, ...fixtureImages().filter(([, b]) => b.length < 3000)], 60),
      true,
    );
    t.diagnostic(`${count} cases`);
    assert.ok(count > 5000);
  });
});
