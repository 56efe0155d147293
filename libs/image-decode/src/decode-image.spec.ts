import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import { crc32 } from 'node:zlib';
import { InvalidArgumentError, LimitExceededError } from '@internvl/errors';
import sharp from 'sharp';
import { decodeImage } from './decode-image';

const repoRoot = process.env.INTERNVL_REPO_ROOT ?? resolve(__dirname, '../../..');
const fixture = (...parts: string[]) => resolve(repoRoot, 'test/fixtures', ...parts);
const limits = { maxEncodedBytes: 20 * 1024 * 1024, maxPixels: 50_000_000 };

interface Expected {
  pillow_mode?: string;
  pillow_error?: string;
  width?: number;
  height?: number;
  rgb_base64?: string;
}

function isError(kind: new (...args: never[]) => Error, message: RegExp) {
  return (err: unknown) => err instanceof kind && message.test(err.message);
}

describe('conversion to RGB matches Pillow 9.4 convert("RGB") byte for byte', () => {
  const dir = fixture('images', 'convert');
  const expected = JSON.parse(readFileSync(resolve(dir, 'expected.json'), 'utf8')) as Record<
    string,
    Expected
  >;
  for (const [name, want] of Object.entries(expected)) {
    const rgbBase64 = want.rgb_base64;
    if (rgbBase64 === undefined) continue;
    test(`${name} (Pillow mode ${want.pillow_mode})`, async () => {
      const out = await decodeImage(readFileSync(resolve(dir, name)), limits);
      assert.deepEqual([out.width, out.height], [want.width, want.height]);
      assert.equal(out.data.length, out.width * out.height * 3);
      assert.ok(
        Buffer.from(out.data).equals(Buffer.from(rgbBase64, 'base64')),
        `${name}: pixels differ from Pillow`,
      );
    });
  }

  test('AVIF decodes (Pillow 9.4 has no AVIF decoder, so there is no reference)', async () => {
    const out = await decodeImage(readFileSync(resolve(dir, 'rgb.avif')), limits);
    assert.deepEqual([out.width, out.height, out.format], [23, 17, 'avif']);
  });

  test('EXIF orientation is ignored by default and applied with autoOrient', async () => {
    const bytes = readFileSync(resolve(dir, 'orient6.jpg'));
    const plain = await decodeImage(bytes, limits);
    assert.deepEqual([plain.width, plain.height], [23, 17]);
    const oriented = await decodeImage(bytes, { ...limits, autoOrient: true });
    assert.deepEqual([oriented.width, oriented.height], [17, 23]);
  });

  test('the JPEG fixtures decode to 3-channel RGB of the right size', async () => {
    const out = await decodeImage(readFileSync(fixture('images', 'image1.jpg')), limits);
    assert.deepEqual(
      [out.width, out.height, out.format, out.data.length],
      [1000, 747, 'jpeg', 1000 * 747 * 3],
    );
  });
});

describe('bad input is refused with a message a person can act on', () => {
  const image1 = readFileSync(fixture('images', 'image1.jpg'));

  test('empty input', async () => {
    await assert.rejects(decodeImage(new Uint8Array(0), limits), isError(InvalidArgumentError, /empty/));
  });

  test('truncated JPEG (cut in half)', async () => {
    await assert.rejects(
      decodeImage(image1.subarray(0, image1.length >> 1), limits),
      isError(InvalidArgumentError, /truncated or corrupt/),
    );
  });

  test('random bytes', async () => {
    const junk = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 256));
    await assert.rejects(
      decodeImage(junk, limits),
      isError(InvalidArgumentError, /unrecognized image data.*supported: jpeg/),
    );
  });

  test('a JPEG signature followed by garbage', async () => {
    const bytes = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(300, 0x42)]);
    await assert.rejects(decodeImage(bytes, limits), isError(InvalidArgumentError, /truncated or corrupt/));
  });

  test('SVG is refused before any parser sees it', async () => {
    const svg = Buffer.from(
      '\ufeff  <?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><image href="http://example.com/a.png"/></svg>',
    );
    await assert.rejects(
      decodeImage(svg, limits),
      isError(
        InvalidArgumentError,
        /unsupported image format 'svg'; supported: jpeg, png, webp, gif, tiff, avif/,
      ),
    );
  });

  test('other recognized formats name themselves', async () => {
    await assert.rejects(
      decodeImage(Buffer.from('%PDF-1.7\n...'), limits),
      isError(InvalidArgumentError, /'pdf'/),
    );
    const bmp = Buffer.concat([Buffer.from('BM'), Buffer.alloc(60)]);
    await assert.rejects(decodeImage(bmp, limits), isError(InvalidArgumentError, /'bmp'/));
  });

  test('over max_image_bytes', async () => {
    await assert.rejects(
      decodeImage(image1, { ...limits, maxEncodedBytes: 1000 }),
      isError(LimitExceededError, /78073 bytes, over the limit of 1000 bytes; raise max_image_bytes/),
    );
  });

  test('over max_image_pixels, refused from the header', async () => {
    const png = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#808080' } })
      .png()
      .toBuffer();
    await assert.rejects(
      decodeImage(png, { ...limits, maxPixels: 59_999 }),
      isError(
        LimitExceededError,
        /300x200 = 60000 pixels, over the limit of 59999 pixels; raise max_image_pixels/,
      ),
    );
    assert.equal((await decodeImage(png, { ...limits, maxPixels: 60_000 })).width, 300);
  });

  test('a decompression bomb header (100000 x 100000) is refused without decoding', async () => {
    const png = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#000' } })
      .png()
      .toBuffer();
    // Rewrite IHDR's width and height (bytes 16..23) and its CRC (bytes 29..32).
    const bomb = Buffer.from(png);
    bomb.writeUInt32BE(100_000, 16);
    bomb.writeUInt32BE(100_000, 20);
    bomb.writeUInt32BE(crc32(bomb.subarray(12, 29)), 29);
    const t0 = performance.now();
    await assert.rejects(
      decodeImage(bomb, limits),
      isError(LimitExceededError, /100000x100000 = 10000000000 pixels/),
    );
    assert.ok(performance.now() - t0 < 1000);
  });

  test('nonsensical limits are a programming error', async () => {
    await assert.rejects(decodeImage(image1, { maxEncodedBytes: 0, maxPixels: 10 }), InvalidArgumentError);
  });
});
