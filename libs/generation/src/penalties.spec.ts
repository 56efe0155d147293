import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { InvalidArgumentError } from '@internvl/errors';
import { applyRepetitionPenalty } from './logits-processors';
import { applyPresenceFrequencyPenalty, checkPenalty } from './penalties';
import { createSampler, type SamplerParams } from './sampler';

const f32 = (values: number[]) => Float32Array.from(values);
const base: SamplerParams = { temperature: 0, topP: 1, topK: 0, repetitionPenalty: 1 };

test('presence/frequency penalty is OpenAI’s formula: f·count + p·(count > 0), in place', () => {
  const logits = f32([5, 4, 3, 2, 1]);
  // id 0 three times, id 2 once, ids 1, 3 and 4 never.
  const out = applyPresenceFrequencyPenalty(logits, [0, 2, 0, 0], 0.5, 0.25);
  assert.equal(out, logits, 'works in place');
  assert.deepEqual([...out], [5 - (0.25 * 3 + 0.5), 4, 3 - (0.25 + 0.5), 2, 1]);
});

test('presence penalty alone subtracts once however often a token occurs', () => {
  assert.deepEqual([...applyPresenceFrequencyPenalty(f32([1, 1, 1]), [2, 2, 2, 0], 1.5, 0)], [-0.5, 1, -0.5]);
});

test('frequency penalty alone grows with each occurrence', () => {
  assert.deepEqual([...applyPresenceFrequencyPenalty(f32([0, 0, 0]), [1, 2, 2, 2], 0, 2)], [0, -2, -6]);
});

test('negative penalties make repeats more likely', () => {
  assert.deepEqual([...applyPresenceFrequencyPenalty(f32([0, 0]), [1, 1], -1, -0.5)], [0, 2]);
});

test('zero penalties or an empty history leave the logits untouched', () => {
  assert.deepEqual([...applyPresenceFrequencyPenalty(f32([1, 2]), [0, 1], 0, 0)], [1, 2]);
  assert.deepEqual([...applyPresenceFrequencyPenalty(f32([1, 2]), [], 2, 2)], [1, 2]);
  // A -Infinity logit stays -Infinity.
  assert.deepEqual([...applyPresenceFrequencyPenalty(f32([-Infinity, 0]), [0], -2, -2)], [-Infinity, 0]);
});

test('penalties outside [-2, 2] and history ids outside the vocabulary are refused', () => {
  for (const bad of [2.01, -2.5, NaN, Infinity]) {
    assert.throws(
      () => applyPresenceFrequencyPenalty(f32([1]), [0], bad, 0),
      (e: unknown) =>
        e instanceof InvalidArgumentError && /^presencePenalty must be .*\[-2, 2\]/.test(e.message),
    );
    assert.throws(() => applyPresenceFrequencyPenalty(f32([1]), [0], 0, bad), /frequencyPenalty must be/);
  }
  assert.doesNotThrow(() => checkPenalty(2, 'x'));
  assert.doesNotThrow(() => checkPenalty(-2, 'x'));
  assert.throws(() => applyPresenceFrequencyPenalty(f32([1, 2]), [2], 1, 0), /history token id 2 .*\[0, 2\)/);
});

test('the sampler applies repetition penalty, then presence/frequency, then picks', () => {
  // Token 0 was generated twice. Repetition 2 halves its logit 4 → 2; frequency 0.6 · 2 → 0.8,
  // below token 1 (1). In the other order (4 - 1.2 = 2.8, then / 2 = 1.4) token 0 would still win.
  const logits = f32([4, 1, 0]);
  const both = createSampler({ ...base, repetitionPenalty: 2, frequencyPenalty: 0.6 });
  assert.equal(both.sample(logits, [0, 0]), 1);
  assert.deepEqual([...logits], [4, 1, 0], 'the caller’s logits are untouched');
  const expected = applyPresenceFrequencyPenalty(
    applyRepetitionPenalty(f32([4, 1, 0]), [0, 0], 2),
    [0, 0],
    0,
    0.6,
  );
  assert.ok(Math.abs(expected[0]! - 0.8) < 1e-6);
});

test('presence penalty changes the greedy choice; a negative one keeps a repeat', () => {
  const logits = f32([3, 2.5]);
  assert.equal(createSampler(base).sample(logits, [0]), 0);
  assert.equal(createSampler({ ...base, presencePenalty: 1 }).sample(logits, [0]), 1);
  assert.equal(createSampler({ ...base, presencePenalty: -1 }).sample(f32([2.5, 3]), [0]), 0);
});

test('penalties apply before temperature: a sampled draw never picks a suppressed token', () => {
  const sampler = createSampler({ ...base, temperature: 1, topK: 1, seed: 1, presencePenalty: 2 });
  for (let i = 0; i < 20; i++) assert.equal(sampler.sample(f32([1, 0]), [0]), 1);
});

test('the sampler refuses out-of-range penalties, naming the field', () => {
  assert.throws(() => createSampler({ ...base, presencePenalty: 3 }), /presencePenalty must be/);
  assert.throws(() => createSampler({ ...base, frequencyPenalty: -2.1 }), /frequencyPenalty must be/);
});
