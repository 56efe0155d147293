import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { packKvRows } from './kv-rows';

// [rows, heads, capacity, headDim] with value = row*1000 + head*100 + position*10 + d
function block(rows: number, heads: number, capacity: number, hd: number): Float32Array {
  const out = new Float32Array(rows * heads * capacity * hd);
  for (let r = 0; r < rows; r++)
    for (let h = 0; h < heads; h++)
      for (let p = 0; p < capacity; p++)
        for (let d = 0; d < hd; d++)
          out[((r * heads + h) * capacity + p) * hd + d] = r * 1000 + h * 100 + p * 10 + d;
  return out;
}

test('packs rows of different blocks, right-padded to the new capacity', () => {
  const a = block(3, 2, 4, 2);
  const b = block(1, 2, 2, 2);
  const out = packKvRows(
    [
      { data: a, capacity: 4, row: 2, length: 3 },
      { data: b, capacity: 2, row: 0, length: 2 },
    ],
    'float32',
    2,
    2,
    3,
  );
  assert.equal(out.length, 2 * 2 * 3 * 2);
  const at = (r: number, h: number, p: number, d: number) => out[((r * 2 + h) * 3 + p) * 2 + d];
  assert.equal(at(0, 1, 2, 1), 2000 + 100 + 20 + 1);
  assert.equal(at(1, 1, 1, 0), 0 + 100 + 10);
  assert.equal(at(1, 0, 2, 0), 0, 'padding stays zero');
});

test('float16 blocks stay float16; a row longer than the capacity is refused', () => {
  const out = packKvRows([{ data: new Uint16Array(4), capacity: 2, row: 0, length: 2 }], 'float16', 1, 2, 2);
  assert.ok(out instanceof Uint16Array);
  assert.throws(
    () => packKvRows([{ data: new Float32Array(8), capacity: 4, row: 0, length: 4 }], 'float32', 1, 2, 3),
    /4 positions does not fit a capacity of 3/,
  );
});
