import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { generationParams, type GenerationParams } from '@internvl/contracts';
import { InvalidArgumentError } from '@internvl/errors';
import { specLimits } from '../testing/generation-limits';
import { generationSettings } from './generation-settings';

const LIMITS = specLimits([2]);
const settings = (p: Partial<GenerationParams>) => generationSettings(generationParams(p), 10, 0, LIMITS);
const invalid = (p: Partial<GenerationParams>, message: RegExp) =>
  assert.throws(
    () => settings(p),
    (e: unknown) => e instanceof InvalidArgumentError && message.test(e.message),
    JSON.stringify(p),
  );

test('presence/frequency penalties reach the sampler; absent = 0', () => {
  const s = settings({ presencePenalty: 1.5, frequencyPenalty: -0.5 });
  assert.equal(s.sampling.presencePenalty, 1.5);
  assert.equal(s.sampling.frequencyPenalty, -0.5);
  assert.equal(settings({}).sampling.presencePenalty, 0);
  assert.equal(settings({ presencePenalty: 2, frequencyPenalty: -2 }).sampling.frequencyPenalty, -2);
});

test('penalties outside [-2, 2] are INVALID_ARGUMENT naming the field', () => {
  invalid({ presencePenalty: 2.5 }, /^presence_penalty is 2\.5; it must be in \[-2, 2\]/);
  invalid({ frequencyPenalty: -3 }, /^frequency_penalty is -3; it must be in \[-2, 2\]/);
  invalid({ frequencyPenalty: NaN }, /^frequency_penalty is NaN/);
});

test('logprobs: absent unless asked; top_logprobs 0..20 kept', () => {
  assert.equal(settings({}).logprobs, undefined);
  assert.deepEqual(settings({ logprobs: true }).logprobs, { top: 0 });
  assert.deepEqual(settings({ logprobs: true, topLogprobs: 20 }).logprobs, { top: 20 });
});

test('top_logprobs without logprobs, over 20 or negative is INVALID_ARGUMENT naming the field', () => {
  invalid({ topLogprobs: 3 }, /^top_logprobs is 3 but logprobs is false/);
  invalid({ logprobs: true, topLogprobs: 21 }, /^top_logprobs is 21; it must be an integer in \[0, 20\]/);
  invalid({ logprobs: true, topLogprobs: -1 }, /^top_logprobs is -1/);
});
