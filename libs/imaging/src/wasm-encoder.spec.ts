import assert from 'node:assert/strict';
import { test } from 'node:test';
import { s32, u32 } from './wasm-encoder';

test('LEB128 encodings', () => {
  assert.deepEqual(u32(0), [0]);
  assert.deepEqual(u32(127), [0x7f]);
  assert.deepEqual(u32(128), [0x80, 0x01]);
  assert.deepEqual(u32(0xba), [0xba, 0x01]);
  assert.deepEqual(u32(624485), [0xe5, 0x8e, 0x26]);
  assert.deepEqual(s32(0), [0]);
  assert.deepEqual(s32(-1), [0x7f]);
  assert.deepEqual(s32(63), [0x3f]);
  assert.deepEqual(s32(64), [0xc0, 0x00]);
  assert.deepEqual(s32(-64), [0x40]);
  assert.deepEqual(s32(-65), [0xbf, 0x7f]);
  assert.deepEqual(s32(1 << 21), [0x80, 0x80, 0x80, 0x01]);
});
