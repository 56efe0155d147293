import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { InvalidArgumentError } from '@internvl/errors';
import { argmax } from './logits-processors';
import { createRng } from './prng';
import { createSampler, type SamplerParams } from './sampler';

const base: SamplerParams = { temperature: 1, topP: 1, topK: 0, repetitionPenalty: 1 };
const draws = (params: SamplerParams, logits: Float32Array, n: number) => {
  const sampler = createSampler(params);
  return Array.from({ length: n }, () => sampler.sample(logits, []));
};

test('temperature 0 is greedy: argmax, ties to the lowest id, logits untouched', () => {
  const sampler = createSampler({ ...base, temperature: 0 });
  const logits = Float32Array.from([1, 5, 5, 2]);
  assert.equal(sampler.sample(logits, []), 1);
  assert.deepEqual([...logits], [1, 5, 5, 2]);
});

test('repetition penalty applies before the greedy choice, for either sign', () => {
  const sampler = createSampler({ ...base, temperature: 0, repetitionPenalty: 1.1 });
  assert.equal(sampler.sample(Float32Array.from([1, 3, 2.9]), [1]), 2); // 3/1.1 < 2.9
  const negative = createSampler({ ...base, temperature: 0, repetitionPenalty: 2 });
  assert.equal(negative.sample(Float32Array.from([-1, -1.5]), [0]), 1); // -1*2 < -1.5
});

test('the same seed gives the same tokens; different seeds differ on a flat distribution', () => {
  const flat = new Float32Array(100);
  const a = draws({ ...base, seed: 42 }, flat, 50);
  assert.deepEqual(draws({ ...base, seed: 42 }, flat, 50), a);
  assert.notDeepEqual(draws({ ...base, seed: 43 }, flat, 50), a);
  assert.ok(new Set(a).size > 20, 'a flat distribution spreads its draws');
  assert.notDeepEqual(draws({ ...base, seed: 2 ** 32 + 42 }, flat, 50), a, 'high seed bits count');
});

test('sampling follows the probabilities', () => {
  const counts = [0, 0];
  for (const id of draws({ ...base, seed: 7 }, Float32Array.from([0, Math.log(3)]), 4000)) counts[id]!++;
  assert.ok(Math.abs(counts[1]! / 4000 - 0.75) < 0.03, `got ${counts[1]} of 4000`);
});

test('top-k = 1 equals greedy', () => {
  const rng = createRng(1);
  const sampler = createSampler({ ...base, topK: 1, seed: 9 });
  for (let step = 0; step < 20; step++) {
    const logits = Float32Array.from({ length: 50 }, () => rng() * 10 - 5);
    assert.equal(sampler.sample(logits, []), argmax(logits));
  }
});

test('top-p only ever draws from the nucleus', () => {
  const logits = Float32Array.from([0.1, 0.2, 0.3, 0.4].map(Math.log));
  const seen = new Set(draws({ ...base, topP: 0.5, seed: 3 }, logits, 300));
  assert.deepEqual([...seen].sort(), [2, 3]);
});

test('invalid parameters throw InvalidArgumentError naming the field', () => {
  const cases: [Partial<SamplerParams>, RegExp][] = [
    [{ temperature: -0.1 }, /^temperature must be/],
    [{ temperature: NaN }, /^temperature/],
    [{ topP: 0 }, /^topP must be in \(0, 1\]/],
    [{ topP: 1.5 }, /^topP/],
    [{ topK: -1 }, /^topK must be an integer ≥ 0/],
    [{ repetitionPenalty: 0 }, /^repetitionPenalty must be/],
    [{ seed: 1.5 }, /^seed must be a safe integer/],
  ];
  for (const [override, message] of cases) {
    assert.throws(
      () => createSampler({ ...base, ...override }),
      (err: unknown) => err instanceof InvalidArgumentError && message.test(err.message),
      JSON.stringify(override),
    );
  }
  assert.throws(() => createSampler(base).sample(new Float32Array(0), []), /logits are empty/);
});
