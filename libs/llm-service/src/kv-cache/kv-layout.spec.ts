import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { KvArena } from './kv-arena';
import { alignPositions, bytesPerPosition, kvArray, POSITION_ALIGN, type KvLayout } from './kv-layout';

const F32: KvLayout = { numLayers: 2, kvHeads: 2, headDim: 4, dtype: 'float32' };
const F16: KvLayout = { ...F32, dtype: 'float16' };

test('alignPositions rounds up to a multiple of POSITION_ALIGN', () => {
  assert.equal(POSITION_ALIGN, 64);
  assert.equal(alignPositions(0), 0);
  assert.equal(alignPositions(1), 64);
  assert.equal(alignPositions(63), 64);
  assert.equal(alignPositions(64), 64);
  assert.equal(alignPositions(65), 128);
  assert.equal(alignPositions(80), 128);
  assert.equal(alignPositions(1000), 1024);
});

test('bytesPerPosition counts keys and values of every layer, head and channel', () => {
  // 2 layers × (key + value) × 2 heads × 4 channels × 4 bytes
  assert.equal(bytesPerPosition(F32), 128);
  assert.equal(bytesPerPosition(F16), 64);
  assert.equal(
    bytesPerPosition({ numLayers: 3, kvHeads: 5, headDim: 7, dtype: 'float32' }),
    3 * 2 * 5 * 7 * 4,
  );
});

test('bytesPerPosition is what one position of an arena row really takes', () => {
  for (const layout of [F32, F16]) {
    const arena = new KvArena(layout);
    arena.relayout(3, 64, []);
    assert.equal(arena.bytes, 3 * 64 * bytesPerPosition(layout), layout.dtype);
  }
});

test('kvArray allocates zeroed float32 or float16 (uint16 bits) storage', () => {
  const a = kvArray(F32, 10);
  assert.ok(a instanceof Float32Array);
  assert.equal(a.length, 10);
  assert.ok(a.every((v) => v === 0));
  const b = kvArray(F16, 10);
  assert.ok(b instanceof Uint16Array);
  assert.equal(b.length, 10);
  assert.equal(b.byteLength, 20);
});
