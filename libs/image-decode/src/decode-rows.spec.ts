import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import { InvalidArgumentError } from '@internvl/errors';
import sharp from 'sharp';
import { decodeImage, decodeImageRows } from './decode-image';

const repoRoot = process.env.INTERNVL_REPO_ROOT ?? resolve(__dirname, '../../..');
const fixture = (...parts: string[]) => resolve(repoRoot, 'test/fixtures', ...parts);
const limits = { maxEncodedBytes: 20 * 1024 * 1024, maxPixels: 50_000_000 };

/** Rows `top ..< top + rows` of a whole decode. */
function rowsOf(image: { width: number; data: Uint8Array }, top: number, rows: number): Buffer {
  const stride = image.width * 3;
  return Buffer.from(image.data.subarray(top * stride, (top + rows) * stride));
}

describe('decodeImageRows returns exactly those rows of the whole decode', () => {
  const dir = fixture('images', 'convert');
  const files = readdirSync(dir)
    .filter((f) => /\.(png|jpg|gif|webp|tiff|avif)$/.test(f))
    .map((f) => resolve(dir, f));
  for (const path of [...files, fixture('images', 'image1.jpg')]) {
    test(path.replace(/.*\//, ''), async () => {
      const bytes = readFileSync(path);
      const whole = await decodeImage(bytes, limits);
      const h = whole.height;
      for (const [top, rows] of [
        [0, Math.ceil(h / 2)],
        [Math.floor(h / 3), h - Math.floor(h / 3)],
        [1, h - 2],
        [0, h],
      ]) {
        const part = await decodeImageRows(bytes, limits, { top, rows });
        assert.deepEqual(
          [part.width, part.height, part.top, part.rows, part.format],
          [whole.width, h, top, rows, whole.format],
        );
        assert.ok(Buffer.from(part.data).equals(rowsOf(whole, top, rows)), `rows ${top}+${rows} differ`);
      }
    });
  }

  test('a large JPEG: the top share decodes only its rows', async () => {
    const bytes = await sharp(fixture('images', 'image1.jpg')).resize(1600, 1200).jpeg().toBuffer();
    const whole = await decodeImage(bytes, limits);
    const top = await decodeImageRows(bytes, limits, { top: 0, rows: 700 });
    assert.ok(Buffer.from(top.data).equals(rowsOf(whole, 0, 700)));
    const bottom = await decodeImageRows(bytes, limits, { top: 650, rows: 550 });
    assert.ok(Buffer.from(bottom.data).equals(rowsOf(whole, 650, 550)));
  });

  test('with autoOrient every row comes back (rows are counted after turning)', async () => {
    const bytes = readFileSync(fixture('images', 'convert', 'orient6.jpg'));
    const oriented = await decodeImageRows(bytes, { ...limits, autoOrient: true }, { top: 5, rows: 3 });
    assert.deepEqual([oriented.width, oriented.height, oriented.top, oriented.rows], [17, 23, 0, 23]);
  });

  test('rows outside the image are refused; a share without rows still checks the image', async () => {
    const bytes = readFileSync(fixture('images', 'image1.jpg'));
    await assert.rejects(decodeImageRows(bytes, limits, { top: 700, rows: 100 }), InvalidArgumentError);
    await assert.rejects(decodeImageRows(bytes, limits, { top: -1, rows: 10 }), InvalidArgumentError);
    const none = await decodeImageRows(bytes, limits, { top: 10, rows: 0 });
    assert.ok(none.rows <= 1);
    const truncated = bytes.subarray(0, bytes.length >> 1);
    await assert.rejects(decodeImageRows(truncated, limits, { top: 0, rows: 10 }), /truncated or corrupt/);
  });
});
