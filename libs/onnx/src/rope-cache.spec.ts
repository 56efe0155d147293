import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError } from '@internvl/errors';
import { ropeCosSinCache } from './rope-cache';

test('tables are [positions, dim/2] with angle = position · base^(-2i/dim)', () => {
  const { cos, sin } = ropeCosSinCache(4, 8, { base: 10000 });
  assert.equal(cos.length, 4 * 4);
  assert.deepEqual(Array.from(cos.subarray(0, 4)), [1, 1, 1, 1]);
  assert.deepEqual(Array.from(sin.subarray(0, 4)), [0, 0, 0, 0]);
  assert.ok(Math.abs(cos[3 * 4 + 1] - Math.cos(3 * 10000 ** (-2 / 8))) < 1e-6);
  assert.ok(Math.abs(sin[2 * 4] - Math.sin(2)) < 1e-6);
});

test('custom frequencies and a scale replace the defaults (LongRoPE-style)', () => {
  const { cos, sin } = ropeCosSinCache(2, 4, { invFreq: Float32Array.of(0.5, 0.25), scale: 2 });
  assert.ok(Math.abs(cos[2] - 2 * Math.cos(0.5)) < 1e-6);
  assert.ok(Math.abs(sin[3] - 2 * Math.sin(0.25)) < 1e-6);
  assert.throws(() => ropeCosSinCache(2, 4, { invFreq: Float32Array.of(1) }), InvalidArgumentError);
  assert.throws(() => ropeCosSinCache(2, 5), InvalidArgumentError);
});
