import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { InternalError } from '@internvl/errors';
import { KvArena } from './kv-arena';
import { bytesPerPosition, kvArray } from './kv-layout';
import { assertRow, F16, F32, fillRow, mark } from '../testing/kv-marks';

function allocated(arena: KvArena): number {
  const { keys, values } = arena.view(0, arena.rowCapacity);
  return [...keys, ...values].reduce((n, a) => n + a.buffer.byteLength, 0);
}

for (const layout of [F32, F16]) {
  test(`${layout.dtype}: relayout allocates rowCapacity × kvHeads × capacity × headDim per layer, key and value`, () => {
    const arena = new KvArena(layout);
    assert.equal(arena.bytes, 0);
    assert.equal(arena.rowCapacity, 0);
    assert.equal(arena.capacity, 0);
    arena.relayout(3, 64, []);
    assert.equal(arena.rowCapacity, 3);
    assert.equal(arena.capacity, 64);
    const element = layout.dtype === 'float16' ? 2 : 4;
    const perBuffer = 3 * layout.kvHeads * 64 * layout.headDim;
    for (let i = 0; i < layout.numLayers; i++) {
      for (const kind of [0, 1] as const) {
        const buf = arena.buffer(i, kind);
        assert.equal(buf.length, perBuffer);
        assert.ok(layout.dtype === 'float16' ? buf instanceof Uint16Array : buf instanceof Float32Array);
      }
    }
    assert.equal(arena.buffer(0, 0) === arena.buffer(0, 1), false, 'keys and values are separate buffers');
    assert.equal(arena.bytes, perBuffer * element * 2 * layout.numLayers);
    assert.equal(arena.bytes, 3 * 64 * bytesPerPosition(layout));
    assert.equal(arena.bytes, allocated(arena));
  });

  test(`${layout.dtype}: growing relayout keeps each row's first lengths[r] positions and zeroes the rest`, () => {
    const arena = new KvArena(layout);
    arena.relayout(2, 64, []);
    fillRow(arena, 0, 0, 64, 1);
    fillRow(arena, 1, 0, 64, 2);
    arena.relayout(4, 192, [50, 17]);
    assert.equal(arena.rowCapacity, 4);
    assert.equal(arena.capacity, 192);
    assertRow(arena, 0, 0, 50, 1);
    assertRow(arena, 1, 0, 17, 2);
    // Positions past lengths[r] were not kept (nor leaked from a neighbouring head or row).
    assertRow(arena, 0, 50, 142, null);
    assertRow(arena, 1, 17, 175, null);
    assertRow(arena, 2, 0, 192, null);
    assertRow(arena, 3, 0, 192, null);
    assert.equal(arena.bytes, allocated(arena));
  });
}

test('a shrinking relayout keeps the rows that are kept', () => {
  const arena = new KvArena(F32);
  arena.relayout(4, 256, []);
  fillRow(arena, 0, 0, 40, 1);
  fillRow(arena, 1, 0, 64, 2);
  arena.relayout(2, 64, [40, 64]);
  assert.equal(arena.bytes, 2 * 64 * bytesPerPosition(F32));
  assertRow(arena, 0, 0, 40, 1);
  assertRow(arena, 1, 0, 64, 2);
  assertRow(arena, 0, 40, 24, null);
});

test('relayout refuses rows or lengths that do not fit, and leaves the arena as it was', () => {
  const arena = new KvArena(F32);
  arena.relayout(2, 64, []);
  fillRow(arena, 0, 0, 10, 3);
  assert.throws(() => arena.relayout(1, 64, [10, 10]), InternalError);
  assert.throws(() => arena.relayout(2, 64, [10, 65]), InternalError);
  assert.equal(arena.rowCapacity, 2);
  assert.equal(arena.capacity, 64);
  assertRow(arena, 0, 0, 10, 3);
});

test('view(from, count) is a no-copy window of rows [from, from + count) of every layer', () => {
  const arena = new KvArena(F32);
  arena.relayout(4, 64, []);
  fillRow(arena, 2, 0, 64, 5);
  const rowSize = F32.kvHeads * 64 * F32.headDim;
  const { keys, values } = arena.view(1, 2);
  assert.equal(keys.length, F32.numLayers);
  assert.equal(values.length, F32.numLayers);
  for (let i = 0; i < F32.numLayers; i++) {
    for (const [kind, a] of [
      [0, keys[i]!],
      [1, values[i]!],
    ] as const) {
      assert.equal(a.length, 2 * rowSize);
      assert.equal(a.buffer, arena.buffer(i, kind).buffer, 'shares memory with the arena');
      assert.equal(a.byteOffset, rowSize * 4);
      // Row 2 is the view's second row: its first element is (head 0, position 0, channel 0).
      assert.equal(a[rowSize], mark(F32, 5, i, kind, 0, 0, 0));
    }
  }
  keys[1]![0] = 42; // row 1, layer 1
  assert.equal(arena.buffer(1, 0)[rowSize], 42);
});

test('moveRow copies the first `length` positions of every head, layer, key and value', () => {
  for (const layout of [F32, F16]) {
    const arena = new KvArena(layout);
    arena.relayout(3, 64, []);
    fillRow(arena, 0, 0, 64, 1);
    fillRow(arena, 1, 0, 64, 2);
    fillRow(arena, 2, 0, 64, 3);
    arena.moveRow(2, 0, 37);
    assertRow(arena, 0, 0, 37, 3, layout.dtype);
    assertRow(arena, 0, 37, 27, 1, `${layout.dtype}: past length untouched`);
    assertRow(arena, 1, 0, 64, 2, `${layout.dtype}: other rows untouched`);
    assertRow(arena, 2, 0, 64, 3, `${layout.dtype}: source untouched`);
  }
});

test('transfer copies positions out to a [layer, key|value, head, count, headDim] block and back', () => {
  for (const layout of [F32, F16]) {
    const arena = new KvArena(layout);
    arena.relayout(2, 64, []);
    fillRow(arena, 0, 0, 64, 4);
    const count = 4;
    const at = 8;
    const block = kvArray(layout, (count * bytesPerPosition(layout)) / (layout.dtype === 'float16' ? 2 : 4));
    arena.transfer(0, at, count, block, true);
    const { kvHeads: KV, headDim: HD } = layout;
    let k = 0;
    for (let i = 0; i < layout.numLayers; i++) {
      for (let kind = 0; kind < 2; kind++) {
        for (let h = 0; h < KV; h++) {
          for (let p = at; p < at + count; p++) {
            for (let d = 0; d < HD; d++) {
              assert.equal(block[k++], mark(layout, 4, i, kind, h, p, d), `block element ${k - 1}`);
            }
          }
        }
      }
    }
    assert.equal(k, block.length);
    // Back in, into the other row at the same positions: exactly those positions change.
    arena.transfer(1, at, count, block, false);
    assertRow(arena, 1, at, count, 4, layout.dtype);
    assertRow(arena, 1, 0, at, null, layout.dtype);
    assertRow(arena, 1, at + count, 64 - at - count, null, layout.dtype);
  }
});

test('clear drops the buffers', () => {
  const arena = new KvArena(F32);
  arena.relayout(2, 64, []);
  arena.clear();
  assert.equal(arena.bytes, 0);
  assert.equal(arena.rowCapacity, 0);
  assert.equal(arena.capacity, 0);
  assert.deepEqual(arena.view(0, 0), { keys: [], values: [] });
  // It can be laid out again from nothing.
  arena.relayout(1, 64, []);
  assertRow(arena, 0, 0, 64, null);
});
