import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { permute, pixelShuffle } from './pixel-shuffle';

/** x(row, col, ch) encoded as a unique number so every moved value can be traced. */
const code = (row: number, col: number, ch: number) => row * 10000 + col * 10 + ch;

function grid(n: number, side: number, C: number): Float32Array {
  const x = new Float32Array(n * side * side * C);
  for (let b = 0; b < n; b++)
    for (let r = 0; r < side; r++)
      for (let c = 0; c < side; c++)
        for (let ch = 0; ch < C; ch++) x[((b * side + r) * side + c) * C + ch] = code(r, c, ch) + b * 1e6;
  return x;
}

test('permute matches explicit index math', () => {
  const shape = [2, 3, 4];
  const x = Float32Array.from({ length: 24 }, (_, i) => i);
  const y = permute(x, shape, [2, 0, 1]); // → [4, 2, 3]
  for (let a = 0; a < 2; a++)
    for (let b = 0; b < 3; b++)
      for (let c = 0; c < 4; c++) assert.equal(y[(c * 2 + a) * 3 + b], x[(a * 3 + b) * 4 + c]);
});

test('v2: token i·16+j holds [x(2i,2j), x(2i,2j+1), x(2i+1,2j), x(2i+1,2j+1)], each C wide', () => {
  const side = 32;
  const C = 3;
  const y = pixelShuffle(grid(1, side, C), 1, side, C, 0.5, 'v2');
  assert.equal(y.length, 256 * 4 * C);
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 16; j++) {
      const t = i * 16 + j;
      const cells = [
        [2 * i, 2 * j],
        [2 * i, 2 * j + 1],
        [2 * i + 1, 2 * j],
        [2 * i + 1, 2 * j + 1],
      ];
      cells.forEach(([r, c], q) => {
        for (let ch = 0; ch < C; ch++)
          assert.equal(y[t * 4 * C + q * C + ch], code(r, c, ch), `t=${t} q=${q} ch=${ch}`);
      });
    }
  }
});

test('v1 keeps the grid transposed: v1 token j·16+i equals v2 token i·16+j', () => {
  const side = 32;
  const C = 2;
  const x = grid(2, side, C);
  const v1 = pixelShuffle(x, 2, side, C, 0.5, 'v1');
  const v2 = pixelShuffle(x, 2, side, C, 0.5, 'v2');
  const W = 4 * C;
  for (let b = 0; b < 2; b++)
    for (let i = 0; i < 16; i++)
      for (let j = 0; j < 16; j++) {
        const a = v1.subarray((b * 256 + j * 16 + i) * W, (b * 256 + j * 16 + i + 1) * W);
        const e = v2.subarray((b * 256 + i * 16 + j) * W, (b * 256 + i * 16 + j + 1) * W);
        assert.deepEqual([...a], [...e]);
      }
  // And the two really differ off the diagonal.
  assert.notEqual(v1[1 * W], v2[1 * W]);
});

test('rejects grids not divisible by the downsample factor', () => {
  assert.throws(() => pixelShuffle(new Float32Array(9), 1, 3, 1, 0.5, 'v2'), /not divisible/);
});
