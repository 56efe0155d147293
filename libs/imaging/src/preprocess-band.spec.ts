import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidArgumentError } from '@internvl/errors';
import type { FloatType } from '@internvl/float-formats';
import { preprocessSourceRows } from './preprocess-band';
import { preprocessPixels } from './preprocess-pixels';
import type { RgbImage, RgbRows } from './rgb-image';
import { bandSourceRows } from './row-band';

/** A reproducible noise image (noise exercises every filter tap). */
function noise(width: number, height: number, seed = 1): RgbImage {
  const data = new Uint8Array(width * height * 3);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    data[i] = s >>> 24;
  }
  return { width, height, data };
}

/** Only the rows `band` reads, copied out, so a read outside them cannot go unnoticed. */
function rowsFor(image: RgbImage, maxNum: number, band: { from: number; to: number }): RgbRows {
  const { top, rows } = preprocessSourceRows(image.width, image.height, { maxNum }, band);
  const stride = image.width * 3;
  const data = image.data.slice(top * stride, (top + rows) * stride);
  return { width: image.width, height: image.height, top, rows, data };
}

function bytesOf(a: ArrayBufferView): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

describe('shares of an image computed apart equal the whole result byte for byte', () => {
  // Grid resizes in both directions, one direction only (the source is as wide, or as tall, as
  // the grid), none at all, upscaling, thin images, and 1 to 12 tiles.
  const cases: [number, number, number][] = [
    [1920, 1200, 12],
    [1000, 747, 6],
    [896, 448, 2],
    [896, 500, 2],
    [900, 448, 2],
    [448, 448, 1],
    [300, 200, 6],
    [1000, 37, 6],
    [5, 1500, 12],
  ];
  const cuts = [[0.6], [0.5], [0.3, 0.7], [0.001, 0.5, 0.51, 0.95]];
  for (const [width, height, maxNum] of cases) {
    for (const dtype of ['float32', 'float16'] as FloatType[]) {
      test(`${width}x${height}, max_num ${maxNum}, ${dtype}`, () => {
        const image = noise(width, height);
        const whole = preprocessPixels(image, { maxNum, dtype });
        for (const cut of cuts) {
          const edges = [0, ...cut, 1];
          const output =
            dtype === 'float32'
              ? new Float32Array(whole.data.length).fill(NaN)
              : new Uint16Array(whole.data.length).fill(0xffff);
          for (let i = 0; i + 1 < edges.length; i++) {
            const band = { from: edges[i], to: edges[i + 1] };
            const part = preprocessPixels(rowsFor(image, maxNum, band), { maxNum, dtype, band, output });
            assert.equal(part.data.buffer, output.buffer);
            assert.deepEqual(part.shape, whole.shape);
          }
          assert.ok(bytesOf(output).equals(bytesOf(whole.data)), `shares split at ${cut.join(', ')} differ`);
        }
      });
    }
  }

  test('a band leaves the values outside it as they were', () => {
    const image = noise(1000, 747);
    const whole = preprocessPixels(image, { maxNum: 6 });
    const output = new Float32Array(whole.data.length).fill(7);
    preprocessPixels(image, { maxNum: 6, band: { from: 0, to: 0.5 }, output });
    const tile = 3 * 448 * 448;
    // Tile 0 is in the top half of the 3x2 grid, tile 3 in the bottom half.
    assert.ok(bytesOf(output.subarray(0, tile)).equals(bytesOf(whole.data.subarray(0, tile))));
    assert.ok(output.subarray(3 * tile, 4 * tile).every((v) => v === 7));
  });
});

describe('shares are checked', () => {
  const image = noise(1000, 747);

  test('a band outside [0, 1] or reversed is refused', () => {
    for (const band of [
      { from: -0.1, to: 0.5 },
      { from: 0.6, to: 0.5 },
      { from: 0.5, to: 1.5 },
      { from: 0, to: NaN },
    ]) {
      assert.throws(() => preprocessPixels(image, { band }), InvalidArgumentError);
    }
  });

  test('rows missing from the source are refused, not read', () => {
    const band = { from: 0.5, to: 1 };
    const rows = rowsFor(image, 6, band);
    const short = { ...rows, rows: rows.rows - 1, data: rows.data.subarray(0, (rows.rows - 1) * 3000) };
    assert.throws(() => preprocessPixels(short, { maxNum: 6, band }), /reads source rows/);
    const late = { ...short, top: rows.top + 1 };
    assert.throws(() => preprocessPixels(late, { maxNum: 6, band }), /reads source rows/);
  });

  test('uint8 tiles need the whole image', () => {
    assert.throws(
      () => preprocessPixels(image, { band: { from: 0, to: 0.5 }, returnTiles: true }),
      /returnTiles needs the whole image/,
    );
  });

  test('the top share reads only the top of the source; the bottom share reads to the end', () => {
    const top = bandSourceRows(1200, [896, 448], { from: 0, to: 0.6 });
    assert.equal(top.top, 0);
    assert.ok(top.rows > 0.6 * 1200 && top.rows < 0.65 * 1200, `${top.rows} rows`);
    const bottom = bandSourceRows(1200, [896, 448], { from: 0.6, to: 1 });
    assert.equal(bottom.top + bottom.rows, 1200);
    assert.ok(bottom.top < 0.6 * 1200 && bottom.top > 0.55 * 1200, `from row ${bottom.top}`);
    assert.deepEqual(bandSourceRows(1200, [896, 448], { from: 0.5, to: 0.5 }), { top: 0, rows: 0 });
  });
});
