import type { GenerationParams } from './gen/internvl/v1/generation.pb';
import { InvalidArgumentError } from '@internvl/errors';

/**
 * GenerationParams with every field at its wire default (proto3 zero or absent), overridden by
 * `fields`: callers name only what they set, as a decoded message would read.
 */
export function generationParams(fields: Partial<GenerationParams> = {}): GenerationParams {
  return {
    maxNewTokens: 0,
    temperature: 0,
    topK: 0,
    stop: [],
    stopTokenIds: [],
    constraint: undefined,
    logprobs: false,
    topLogprobs: 0,
    n: 0,
    numBeams: 0,
    earlyStopping: false,
    ...fields,
  };
}

/**
 * Bounds of GenerationParams fields, shared by every place that parses a request (the gateway's
 * HTTP and gRPC doors, the llm tier) so they refuse the same values.
 */
export const GENERATION_PARAM_BOUNDS = {
  /** repetition_penalty is in (0, this]: larger values only overflow the logits. */
  repetitionPenalty: 100,
  /** presence_penalty and frequency_penalty are in [-this, this] (OpenAI's range). */
  absPenalty: 2,
  /** length_penalty is in [-this, this] (beam scores are divided by length^length_penalty). */
  lengthPenalty: 100,
  /** top_logprobs is 0 to this (OpenAI's range). */
  topLogprobs: 20,
  /** n is 1 to this: each choice is a sequence in the batch. */
  choices: 16,
  /** num_beams is 2 to this for beam search: each beam is a row of the batch. */
  beams: 16,
} as const;

/**
 * The checks every parser of GenerationParams makes first: floats finite (a float32 on the wire
 * turns 1e300 into Infinity), repetition_penalty in (0, bound], seed a safe integer.
 * INVALID_ARGUMENT naming the field, `prefix` before its name (e.g. 'params.').
 */
export function checkGenerationParamNumbers(p: GenerationParams, prefix = ''): void {
  const floats: [string, number | undefined][] = [
    ['temperature', p.temperature],
    ['top_p', p.topP],
    ['repetition_penalty', p.repetitionPenalty],
    ['presence_penalty', p.presencePenalty],
    ['frequency_penalty', p.frequencyPenalty],
    ['length_penalty', p.lengthPenalty],
  ];
  for (const [name, value] of floats) {
    if (value !== undefined && !Number.isFinite(value)) {
      throw new InvalidArgumentError(`${prefix}${name} is ${value}; it must be a finite number`);
    }
  }
  const r = p.repetitionPenalty;
  const maxR = GENERATION_PARAM_BOUNDS.repetitionPenalty;
  if (r !== undefined && !(r > 0 && r <= maxR)) {
    throw new InvalidArgumentError(`${prefix}repetition_penalty is ${r}; it must be in (0, ${maxR}]`);
  }
  if (p.seed !== undefined && !(Number.isSafeInteger(p.seed) && p.seed >= 0)) {
    throw new InvalidArgumentError(
      `${prefix}seed is ${p.seed}; it must be an integer in [0, ${Number.MAX_SAFE_INTEGER}]`,
    );
  }
}
