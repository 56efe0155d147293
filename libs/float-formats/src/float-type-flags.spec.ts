import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { floatTypeFromFlag } from './float-type-flags';

test('the flag spellings fp32/fp16 read as float32/float16, nothing else does', () => {
  assert.equal(floatTypeFromFlag('fp32'), 'float32');
  assert.equal(floatTypeFromFlag('fp16'), 'float16');
  assert.throws(() => floatTypeFromFlag('float16'), RangeError);
  assert.throws(() => floatTypeFromFlag('toString'), RangeError);
  assert.throws(() => floatTypeFromFlag('bf16'), /'bf16' is not one of fp32, fp16/);
});
