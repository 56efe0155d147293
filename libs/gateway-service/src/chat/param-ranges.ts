import {
  checkGenerationParamNumbers,
  GENERATION_PARAM_BOUNDS as B,
  type GenerationParams,
} from '@internvl/contracts';
import { InvalidArgumentError } from '@internvl/errors';

type FloatField = 'temperature' | 'topP' | 'presencePenalty' | 'frequencyPenalty' | 'lengthPenalty';

// [wire name, lowest, highest, lowest excluded]; absent optional fields are not checked.
const FLOAT_RANGES: Record<FloatField, [string, number, number, boolean]> = {
  temperature: ['temperature', 0, Number.MAX_VALUE, false],
  topP: ['top_p', 0, 1, true],
  presencePenalty: ['presence_penalty', -B.absPenalty, B.absPenalty, false],
  frequencyPenalty: ['frequency_penalty', -B.absPenalty, B.absPenalty, false],
  lengthPenalty: ['length_penalty', -B.lengthPenalty, B.lengthPenalty, false],
};

/**
 * Range checks of a ChatService request's GenerationParams, before any tier is called: the checks
 * every parser makes (finite floats, repetition_penalty, seed), then each float's range and
 * non-negative counts; INVALID_ARGUMENT naming the field.
 */
export function validateGenerationParams(params: GenerationParams | undefined): void {
  if (!params) return;
  checkGenerationParamNumbers(params, 'params.');
  for (const [field, [name, lo, hi, loExcluded]] of Object.entries(FLOAT_RANGES)) {
    const value = params[field as FloatField];
    if (value === undefined) continue;
    if (!((loExcluded ? value > lo : value >= lo) && value <= hi)) {
      throw new InvalidArgumentError(
        `params.${name} is ${value}; it must be a finite number in ${loExcluded ? '(' : '['}${lo}, ${hi}]`,
      );
    }
  }
  for (const name of ['maxNewTokens', 'topK', 'topLogprobs', 'n', 'numBeams'] as const) {
    if (params[name] < 0)
      throw new InvalidArgumentError(`params.${snake(name)} is ${params[name]}; it must be >= 0`);
  }
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
