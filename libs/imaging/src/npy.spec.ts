import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { InvalidArgumentError } from '@internvl/errors';
import { decodeNpy, encodeNpy } from './npy';

const repoRoot = process.env.INTERNVL_REPO_ROOT ?? resolve(__dirname, '../../..');

test('float32 round trip, with a header NumPy accepts', () => {
  const data = Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => i / 7 - 1);
  const bytes = encodeNpy(data, [2, 3, 4], '<f4');
  assert.deepEqual([...bytes.subarray(0, 8)], [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  const headerLen = bytes.readUInt16LE(8);
  assert.equal((10 + headerLen) % 64, 0);
  const header = bytes.subarray(10, 10 + headerLen).toString('latin1');
  assert.equal(
    header,
    `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4), }`.padEnd(headerLen - 1) + '\n',
  );
  const back = decodeNpy(bytes);
  assert.deepEqual(back.shape, [2, 3, 4]);
  assert.equal(back.dtype, '<f4');
  assert.deepEqual([...back.data], [...data]);
});

test('float16 bits round trip; 1-D shapes keep the tuple comma; raw bytes and fp16/fp32 names accepted', () => {
  const bits = Uint16Array.from([0x3c00, 0xc000, 0x7c00]);
  const bytes = encodeNpy(bits, [3], '<f2');
  assert.match(bytes.toString('latin1', 10, 80), /'shape': \(3,\), /);
  const back = decodeNpy(bytes);
  assert.equal(back.dtype, '<f2');
  assert.ok(back.data instanceof Uint16Array);
  assert.deepEqual([...back.data], [...bits]);
  const fromRaw = encodeNpy(new Uint8Array(bits.buffer), [3], 'float16');
  assert.ok(fromRaw.equals(bytes));
});

test('reads the reference tensor written by NumPy', () => {
  const npy = decodeNpy(
    readFileSync(resolve(repoRoot, 'test/fixtures/golden/preprocess/image1_max1_tensor.npy')),
  );
  assert.deepEqual(npy.shape, [1, 3, 448, 448]);
  assert.equal(npy.data.length, 3 * 448 * 448);
});

test('malformed input and mismatched shapes are refused', () => {
  assert.throws(() => decodeNpy(Buffer.from('not numpy at all')), InvalidArgumentError);
  assert.throws(() => encodeNpy(new Float32Array(5), [2, 3], '<f4'), /needs 6 values/);
  const truncated = encodeNpy(new Float32Array(16), [16], '<f4').subarray(0, 100);
  assert.throws(() => decodeNpy(truncated), /truncated/);
  const bigEndian = Buffer.from(
    encodeNpy(new Float32Array(1), [1], '<f4').toString('latin1').replace("'<f4'", "'>f4'"),
    'latin1',
  );
  assert.throws(() => decodeNpy(bigEndian), /dtype/);
});
