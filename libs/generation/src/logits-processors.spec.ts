import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import {
  applyRepetitionPenalty,
  applyTemperature,
  applyTopK,
  applyTopP,
  argmax,
  softmax,
} from './logits-processors';

const f32 = (values: number[]) => Float32Array.from(values);
const kept = (logits: Float32Array) => [...logits.keys()].filter((i) => logits[i]! > -Infinity);

test('repetition penalty divides positive logits, multiplies negative ones, once per distinct id', () => {
  const logits = f32([2, -2, 1, 0.5]);
  const out = applyRepetitionPenalty(logits, [0, 1, 1, 1], 2);
  assert.equal(out, logits, 'works in place');
  assert.deepEqual([...out], [1, -4, 1, 0.5]);
  assert.deepEqual([...applyRepetitionPenalty(f32([0, -3]), [0, 1], 1.5)], [0, -4.5]);
});

test('repetition penalty refuses ids outside the vocabulary and a non-positive penalty', () => {
  assert.throws(() => applyRepetitionPenalty(f32([1, 2]), [2], 1.2), /history token id 2 .*\[0, 2\)/);
  assert.throws(() => applyRepetitionPenalty(f32([1]), [], 0), /repetitionPenalty must be .*> 0, got 0/);
});

test('temperature divides every logit', () => {
  assert.deepEqual([...applyTemperature(f32([2, -1, 0]), 0.5)], [4, -2, 0]);
  assert.throws(() => applyTemperature(f32([1]), 0), /temperature/);
});

test('top-k keeps the k highest, ties with the k-th included; 0 disables', () => {
  assert.deepEqual(kept(applyTopK(f32([1, 3, 2, 0]), 2)), [1, 2]);
  assert.deepEqual(kept(applyTopK(f32([1, 2, 2, 0]), 2)), [1, 2]);
  assert.deepEqual(kept(applyTopK(f32([1, 2, 2, 0]), 3)), [0, 1, 2]);
  assert.deepEqual(kept(applyTopK(f32([1, 3, 2, 0]), 0)), [0, 1, 2, 3]);
  assert.deepEqual(kept(applyTopK(f32([1, 3, 2, 0]), 1)), [1]);
  assert.throws(() => applyTopK(f32([1]), 1.5), /topK must be an integer/);
});

test('top-p removes tokens whose ascending cumulative probability is <= 1 - top_p', () => {
  const probs = () => f32([0.1, 0.2, 0.3, 0.4].map(Math.log));
  // ascending cumulative: 0.1, 0.3, 0.6, 1.0
  assert.deepEqual(kept(applyTopP(probs(), 0.5)), [2, 3]); // cutoff 0.5 removes 0.1, 0.3
  assert.deepEqual(kept(applyTopP(probs(), 0.75)), [1, 2, 3]); // cutoff 0.25 removes 0.1
  assert.deepEqual(kept(applyTopP(probs(), 0.3)), [3]); // cutoff 0.7 removes 0.1, 0.3, 0.6
  assert.deepEqual(kept(applyTopP(probs(), 0.01)), [3], 'min_tokens_to_keep = 1');
  assert.deepEqual(kept(applyTopP(probs(), 1)), [0, 1, 2, 3]);
  assert.throws(() => applyTopP(probs(), 0), /topP must be in \(0, 1\]/);
  assert.throws(() => applyTopP(probs(), 1.1), /topP/);
});

test('softmax and argmax', () => {
  const p = softmax(f32([0, Math.log(3), -Infinity]));
  assert.ok(Math.abs(p[0]! - 0.25) < 1e-6 && Math.abs(p[1]! - 0.75) < 1e-6 && p[2] === 0);
  assert.throws(() => softmax(f32([-Infinity])), /no finite value/);
  assert.equal(argmax(f32([1, 5, 5, 2])), 1, 'ties go to the lowest id');
  assert.equal(argmax(f32([-Infinity, -Infinity])), 0);
  assert.throws(() => argmax(f32([])), /empty/);
});
