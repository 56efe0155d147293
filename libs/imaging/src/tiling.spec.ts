import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import { InvalidArgumentError } from '@internvl/errors';
import { candidateGrids, chooseGrid, planTiles, resolveTilingOptions } from './tiling';

const repoRoot = process.env.INTERNVL_REPO_ROOT ?? resolve(__dirname, '../../..');

describe('chooseGrid', () => {
  test('matches every row of the reference grids.json (7,168 cases, max_num up to 40)', () => {
    const path = resolve(repoRoot, 'test/fixtures/golden/preprocess/grids.json');
    const { rows } = JSON.parse(readFileSync(path, 'utf8')) as {
      rows: [number, number, number, number, number][];
    };
    assert.equal(rows.length, 7168);
    const wrong = rows.filter(([w, h, maxNum, cols, r]) => {
      const g = chooseGrid(w, h, { maxNum });
      return g.cols !== cols || g.rows !== r;
    });
    assert.deepEqual(wrong.slice(0, 5), []);
  });

  test('visits candidates in the reference order: set iteration order, stable-sorted by tile count', () => {
    // CPython 3.11: list(set(...)) for min 1, max 6 is
    // [(1,2),(2,1),(4,1),(3,1),(1,5),(1,1),(6,1),(5,1),(1,4),(2,3),(2,2),(1,6),(3,2),(1,3)].
    assert.deepEqual(candidateGrids(1, 6), [
      [1, 1],
      [1, 2],
      [2, 1],
      [3, 1],
      [1, 3],
      [4, 1],
      [1, 4],
      [2, 2],
      [1, 5],
      [5, 1],
      [6, 1],
      [2, 3],
      [1, 6],
      [3, 2],
    ]);
  });

  test('a square image at max_num 1 and 6', () => {
    assert.deepEqual(chooseGrid(1000, 1000, { maxNum: 1 }), { cols: 1, rows: 1 });
    assert.deepEqual(chooseGrid(1000, 1000, { maxNum: 6 }), { cols: 2, rows: 2 });
  });
});

describe('planTiles', () => {
  test('row-major boxes, resized size and a thumbnail only with more than one tile', () => {
    const plan = planTiles(1000, 747, { maxNum: 12 });
    assert.deepEqual(plan.grid, { cols: 4, rows: 3 });
    assert.equal(plan.resizedWidth, 1792);
    assert.equal(plan.resizedHeight, 1344);
    assert.equal(plan.boxes.length, 12);
    assert.deepEqual(plan.boxes[5], { left: 448, top: 448, width: 448, height: 448 });
    assert.equal(plan.thumbnail, true);
    assert.equal(plan.numTiles, 13);
    const single = planTiles(1000, 747, { maxNum: 1 });
    assert.equal(single.thumbnail, false);
    assert.equal(single.numTiles, 1);
    const noThumb = planTiles(1000, 747, { maxNum: 12, useThumbnail: false });
    assert.equal(noThumb.numTiles, 12);
  });

  test('custom image size', () => {
    const plan = planTiles(300, 200, { maxNum: 6, imageSize: 224 });
    assert.deepEqual([plan.resizedWidth, plan.resizedHeight], [224 * plan.grid.cols, 224 * plan.grid.rows]);
  });
});

describe('option validation', () => {
  const cases: [string, object, RegExp][] = [
    ['min_num 0', { minNum: 0 }, /min_num must be at least 1/],
    ['max below min', { minNum: 4, maxNum: 2 }, /max_num \(2\) must be at least min_num \(4\)/],
    ['max over 40', { maxNum: 41 }, /max_num must be at most 40/],
    ['image size 0', { imageSize: 0 }, /image_size must be positive/],
    ['fractional', { maxNum: 2.5 }, /max_num must be an integer/],
  ];
  for (const [name, opts, message] of cases) {
    test(name, () => {
      assert.throws(
        () => resolveTilingOptions(opts),
        (err: unknown) => err instanceof InvalidArgumentError && message.test(err.message),
      );
    });
  }

  test('defaults', () => {
    assert.deepEqual(resolveTilingOptions(), { minNum: 1, maxNum: 12, imageSize: 448, useThumbnail: true });
  });

  test('image size must be positive', () => {
    assert.throws(() => chooseGrid(0, 10), InvalidArgumentError);
    assert.throws(() => planTiles(10, -1), InvalidArgumentError);
  });
});
