import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { toFloatTypeInSteps } from './float-arrays';
import { f32ToF16 } from './float-convert';

test('toFloatTypeInSteps: same type is returned as is, other types converted (in steps past 512K values)', async () => {
  const values = Float32Array.from({ length: (1 << 19) + 5 }, (_, i) => (i % 97) - 48.5);
  assert.equal(await toFloatTypeInSteps(values, 'float32'), values);
  const half = (await toFloatTypeInSteps(values, 'float16')) as Uint16Array;
  assert.deepEqual(half, f32ToF16(values));
  assert.deepEqual(await toFloatTypeInSteps(half, 'float32'), values, 'the values are exact in fp16');
});

test('toFloatTypeInSteps into a view: converted or copied in place, the rest untouched', async () => {
  const out = new Uint16Array(10).fill(7);
  const into = out.subarray(2, 6);
  assert.equal(await toFloatTypeInSteps(Float32Array.of(1, -2, 0.5, 3), 'float16', into), into);
  assert.deepEqual([...out], [7, 7, ...f32ToF16(Float32Array.of(1, -2, 0.5, 3)), 7, 7, 7, 7]);
  await toFloatTypeInSteps(Uint16Array.of(1, 2, 3, 4), 'float16', out.subarray(6, 10));
  assert.deepEqual([...out.subarray(6)], [1, 2, 3, 4]);
});
