import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { generationParams, type GenerationParams } from '@internvl/contracts';
import { InvalidArgumentError, OutOfRangeError } from '@internvl/errors';
import { specLimits } from '../testing/generation-limits';
import { generationSettings } from './generation-settings';

const LIMITS = specLimits([2, 7]);
const params = (p: Partial<GenerationParams>) => generationParams(p);

test('defaults: greedy, no filters, template stops, default length clamped to the room left', () => {
  const s = generationSettings(undefined, 70, 0, LIMITS);
  assert.deepEqual(s.sampling, {
    temperature: 0,
    topP: 1,
    topK: 0,
    repetitionPenalty: 1,
    presencePenalty: 0,
    frequencyPenalty: 0,
    seed: undefined,
  });
  assert.equal(s.maxNewTokens, 30);
  assert.deepEqual(s.stopTokenIds, [2, 7]);
  assert.equal(generationSettings(undefined, 10, 0, LIMITS).maxNewTokens, 50);
});

test('request values are kept; stop ids merge without duplicates', () => {
  const s = generationSettings(
    params({
      maxNewTokens: 5,
      temperature: 0.7,
      topP: 0.9,
      topK: 40,
      repetitionPenalty: 1.1,
      seed: 42,
      stop: ['x'],
      stopTokenIds: [7, 9],
    }),
    10,
    0,
    LIMITS,
  );
  assert.deepEqual(s.sampling, {
    temperature: 0.7,
    topP: 0.9,
    topK: 40,
    repetitionPenalty: 1.1,
    presencePenalty: 0,
    frequencyPenalty: 0,
    seed: 42,
  });
  assert.deepEqual(s.stopTokenIds, [2, 7, 9]);
  assert.deepEqual(s.stopStrings, ['x']);
  assert.equal(s.maxNewTokens, 5);
});

test('context and limit violations name the numbers', () => {
  assert.throws(
    () => generationSettings(undefined, 100, 60, LIMITS),
    (e: Error) =>
      e instanceof OutOfRangeError &&
      /100 tokens \(60 of them image tokens\).*context is 100/.test(e.message),
  );
  assert.throws(
    () => generationSettings(params({ maxNewTokens: 40 }), 70, 0, LIMITS),
    /70 prompt tokens \+ max_new_tokens 40 = 110 exceeds the model's context of 100 tokens; ask for at most 30/,
  );
  assert.throws(
    () => generationSettings(params({ maxNewTokens: 90 }), 1, 0, LIMITS),
    /over this tier's limit of 80/,
  );
  assert.throws(
    () => generationSettings(params({ stop: ['a', 'b', 'c'] }), 1, 0, LIMITS),
    /3 stop strings; at most 2/,
  );
  assert.throws(
    () => generationSettings(params({ stopTokenIds: [1000] }), 1, 0, LIMITS),
    /outside the vocabulary \[0, 1000\)/,
  );
});

test('non-finite or out-of-range numbers are INVALID_ARGUMENT naming the field (issue #13, defect 5)', () => {
  const bad: Array<[string, Partial<GenerationParams>]> = [
    ['repetition_penalty', { repetitionPenalty: Infinity }],
    ['repetition_penalty', { repetitionPenalty: 1000 }],
    ['temperature', { temperature: Number.NaN }],
    ['length_penalty', { lengthPenalty: -Infinity }],
    ['seed', { seed: 2 ** 60 }],
  ];
  for (const [field, p] of bad) {
    assert.throws(
      () => generationSettings(params(p), 10, 0, LIMITS),
      (err: unknown) => err instanceof InvalidArgumentError && err.message.startsWith(field),
      field,
    );
  }
});
