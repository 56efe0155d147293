import type { GenerationParams } from '@internvl/contracts';
import { InvalidRequestError } from './openai-errors';
import { isAbsent, optionalBoolean, optionalNumber, type JsonObject } from './request-fields';

/** OpenAI's bounds: penalties in [-2, 2], top_logprobs 0..20. */
const MAX_ABS_PENALTY = 2;
const MAX_TOP_LOGPROBS = 20;

/**
 * `presence_penalty`, `frequency_penalty`, `logprobs` and `top_logprobs` of a chat completion
 * body, validated as OpenAI does (400 naming the field): `top_logprobs` needs `logprobs: true`.
 */
export function parseLogprobPenaltyFields(
  body: JsonObject,
): Pick<GenerationParams, 'presencePenalty' | 'frequencyPenalty' | 'logprobs' | 'topLogprobs'> {
  const penalty = { min: -MAX_ABS_PENALTY, max: MAX_ABS_PENALTY };
  const logprobs = optionalBoolean(body, 'logprobs') ?? false;
  const topLogprobs = optionalNumber(body, 'top_logprobs', { integer: true, min: 0, max: MAX_TOP_LOGPROBS });
  if (!isAbsent(topLogprobs) && !logprobs) {
    throw new InvalidRequestError("'top_logprobs' requires 'logprobs' to be true", 'top_logprobs');
  }
  return {
    presencePenalty: optionalNumber(body, 'presence_penalty', penalty),
    frequencyPenalty: optionalNumber(body, 'frequency_penalty', penalty),
    logprobs,
    topLogprobs: topLogprobs ?? 0,
  };
}
