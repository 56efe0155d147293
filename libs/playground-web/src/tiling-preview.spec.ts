import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { describeTiles, headerSize, tilePreview } from './tiling-preview';

test("InternVL's grid for a few sizes and budgets, as the server chooses it", () => {
  // 1920×1200 at 12: aspect 1.6 → 3×2 (+ thumbnail); at 1: one tile, no thumbnail.
  assert.deepEqual(tilePreview(1920, 1200, 12), { cols: 3, rows: 2, thumbnail: true, tiles: 7 });
  assert.deepEqual(tilePreview(1920, 1200, 1), { cols: 1, rows: 1, thumbnail: false, tiles: 1 });
  assert.deepEqual(tilePreview(448, 448, 12), { cols: 1, rows: 1, thumbnail: false, tiles: 1 });
  assert.deepEqual(tilePreview(300, 1200, 6), { cols: 1, rows: 4, thumbnail: true, tiles: 5 });
  assert.equal(describeTiles(tilePreview(1920, 1200, 12)), '3 × 2 grid + thumbnail = 7 tiles');
  assert.equal(describeTiles(tilePreview(10, 10, 12)), '1 × 1 grid = 1 tile');
});

test('the size comes from the file header, as the gateway reads it', () => {
  const images = resolve(__dirname, '../../../test/fixtures/images');
  assert.deepEqual(headerSize(readFileSync(resolve(images, 'small_300x200.png'))), {
    width: 300,
    height: 200,
  });
  assert.deepEqual(headerSize(readFileSync(resolve(images, 'image1.jpg'))), { width: 1000, height: 747 });
  assert.equal(headerSize(new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"/>')), undefined);
});
