// Bit-exactness against the Pillow 9.4 + torchvision reference (test/fixtures/golden/preprocess).
// sharp is a devDependency here, used only to read the fixture JPEG/PNG files.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import { f32ToF16Bits } from '@internvl/float-formats';
import { normalizationTable } from './normalize';
import { decodeNpy } from './npy';
import { preprocessPixels, preprocessPortable } from './preprocess-pixels';
import { planTiles } from './tiling';
import type { RgbImage } from './rgb-image';

const repoRoot = process.env.INTERNVL_REPO_ROOT ?? resolve(__dirname, '../../..');
const fixture = (...parts: string[]) => resolve(repoRoot, 'test/fixtures', ...parts);

async function rgb(path: string): Promise<RgbImage> {
  const { data, info } = await sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}

interface Meta {
  width: number;
  height: number;
  cols: number;
  rows: number;
  num_tiles: number;
  thumbnail: boolean;
}

const cases: [string, number][] = [
  ['image1.jpg', 1],
  ['image1.jpg', 6],
  ['image1.jpg', 12],
  ['image2.jpg', 1],
  ['image2.jpg', 6],
  ['image2.jpg', 12],
  ['small_300x200.png', 6], // upscaling
];

describe('tiles equal the reference PNGs byte for byte', () => {
  for (const [image, maxNum] of cases) {
    test(`${image} at max_num ${maxNum}`, async () => {
      const dir = fixture('golden', 'preprocess', `${image.replace(/\.\w+$/, '')}_max${maxNum}`);
      const meta = JSON.parse(readFileSync(resolve(dir, 'meta.json'), 'utf8')) as Meta;
      const src = await rgb(fixture('images', image));
      assert.deepEqual([src.width, src.height], [meta.width, meta.height]);
      const result = preprocessPixels(src, { maxNum, returnTiles: true });
      assert.deepEqual(result.grid, { cols: meta.cols, rows: meta.rows });
      assert.equal(result.numTiles, meta.num_tiles);
      assert.equal(result.thumbnail, meta.thumbnail);
      assert.equal(result.tiles?.length, meta.num_tiles);
      for (let i = 0; i < meta.num_tiles; i++) {
        const golden = await sharp(resolve(dir, `tile_${String(i).padStart(2, '0')}.png`))
          .removeAlpha()
          .raw()
          .toBuffer();
        assert.ok(golden.equals(Buffer.from(result.tiles![i])), `tile ${i} differs`);
      }
    });
  }

  test('the portable (scalar) path gives the same tiles and tensor', async () => {
    const src = await rgb(fixture('images', 'small_300x200.png'));
    const plan = planTiles(src.width, src.height, { maxNum: 6 });
    const portable = preprocessPortable({
      image: src,
      plan,
      dtype: 'float32',
      table: normalizationTable(),
      returnTiles: true,
    });
    const simd = preprocessPixels(src, { maxNum: 6, returnTiles: true });
    assert.ok(Buffer.from(portable.data.buffer).equals(Buffer.from(simd.data.buffer)));
    portable.tiles!.forEach((t, i) =>
      assert.ok(Buffer.from(t).equals(Buffer.from(simd.tiles![i])), `tile ${i}`),
    );
  });

  test('writes into a caller-supplied output buffer when it is large enough', async () => {
    const src = await rgb(fixture('images', 'small_300x200.png'));
    const expected = preprocessPixels(src, { maxNum: 6, dtype: 'float16' });
    const output = new Uint16Array(expected.data.length + 10).fill(7);
    const result = preprocessPixels(src, { maxNum: 6, dtype: 'float16', output });
    assert.equal(result.data.buffer, output.buffer);
    assert.ok(
      Buffer.from(result.data.buffer, 0, result.data.byteLength).equals(Buffer.from(expected.data.buffer)),
    );
    assert.equal(output[output.length - 1], 7);
    const small = preprocessPixels(src, { maxNum: 6, dtype: 'float16', output: new Uint16Array(4) });
    assert.notEqual(small.data.length, 4);
  });
});

describe('pixel_values equal the reference tensor', () => {
  test('image1 at max_num 1, fp32, bit for bit', async () => {
    const golden = decodeNpy(readFileSync(fixture('golden', 'preprocess', 'image1_max1_tensor.npy')));
    const result = preprocessPixels(await rgb(fixture('images', 'image1.jpg')), { maxNum: 1 });
    assert.deepEqual(result.shape, golden.shape);
    assert.equal(result.dtype, 'float32');
    const ours = Buffer.from(result.data.buffer, result.data.byteOffset, result.data.byteLength);
    assert.ok(ours.equals(Buffer.from(golden.data.buffer)), 'pixel_values differ');
  });

  test('fp16 output is the reference tensor rounded to nearest even', async () => {
    const golden = decodeNpy(readFileSync(fixture('golden', 'preprocess', 'image1_max1_tensor.npy')));
    const result = preprocessPixels(await rgb(fixture('images', 'image1.jpg')), {
      maxNum: 1,
      dtype: 'float16',
    });
    assert.ok(result.data instanceof Uint16Array);
    const expected = Uint16Array.from(golden.data, (v) => f32ToF16Bits(v));
    assert.ok(Buffer.from(result.data.buffer).equals(Buffer.from(expected.buffer)));
  });
});
