import type { GenerationParams } from '@internvl/contracts';
import { InvalidArgumentError } from '@internvl/errors';

/** repetition_penalty is in (0, MAX]: larger values only overflow the logits. */
export const MAX_REPETITION_PENALTY = 100;
/** length_penalty is in [-MAX, MAX] (beam scores are divided by length^length_penalty). */
export const MAX_LENGTH_PENALTY = 100;

type FloatField =
  'temperature' | 'topP' | 'repetitionPenalty' | 'presencePenalty' | 'frequencyPenalty' | 'lengthPenalty';

// [wire name, lowest, highest, lowest excluded]; absent optional fields are not checked.
const FLOAT_RANGES: Record<FloatField, [string, number, number, boolean]> = {
  temperature: ['temperature', 0, Number.MAX_VALUE, false],
  topP: ['top_p', 0, 1, true],
  repetitionPenalty: ['repetition_penalty', 0, MAX_REPETITION_PENALTY, true],
  presencePenalty: ['presence_penalty', -2, 2, false],
  frequencyPenalty: ['frequency_penalty', -2, 2, false],
  lengthPenalty: ['length_penalty', -MAX_LENGTH_PENALTY, MAX_LENGTH_PENALTY, false],
};

/**
 * Range checks of a ChatService request's GenerationParams, before any tier is called: floats
 * finite and in range, counts non-negative, seed a safe integer; INVALID_ARGUMENT naming the field.
 */
export function validateGenerationParams(params: GenerationParams | undefined): void {
  if (!params) return;
  for (const [field, [name, lo, hi, loExcluded]] of Object.entries(FLOAT_RANGES)) {
    const value = params[field as FloatField];
    if (value === undefined) continue;
    const inRange = Number.isFinite(value) && (loExcluded ? value > lo : value >= lo) && value <= hi;
    if (!inRange) {
      throw new InvalidArgumentError(
        `params.${name} is ${value}; it must be a finite number in ${loExcluded ? '(' : '['}${lo}, ${hi}]`,
      );
    }
  }
  for (const name of ['maxNewTokens', 'topK', 'topLogprobs', 'n', 'numBeams'] as const) {
    if (params[name] < 0)
      throw new InvalidArgumentError(`params.${snake(name)} is ${params[name]}; it must be >= 0`);
  }
  if (params.seed !== undefined && !(Number.isSafeInteger(params.seed) && params.seed >= 0)) {
    throw new InvalidArgumentError(
      `params.seed is ${params.seed}; it must be an integer in [0, ${Number.MAX_SAFE_INTEGER}]`,
    );
  }
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
