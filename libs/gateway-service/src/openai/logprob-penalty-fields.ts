import { GENERATION_PARAM_BOUNDS as B, type GenerationParams } from '@internvl/contracts';
import { InvalidRequestError } from './openai-errors';
import { isAbsent, optionalBoolean, optionalNumber, type JsonObject } from './request-fields';

/**
 * `presence_penalty`, `frequency_penalty`, `logprobs` and `top_logprobs` of a chat completion
 * body, validated as OpenAI does (400 naming the field): `top_logprobs` needs `logprobs: true`.
 */
export function parseLogprobPenaltyFields(
  body: JsonObject,
): Pick<GenerationParams, 'presencePenalty' | 'frequencyPenalty' | 'logprobs' | 'topLogprobs'> {
  const penalty = { min: -B.absPenalty, max: B.absPenalty };
  const logprobs = optionalBoolean(body, 'logprobs') ?? false;
  const topLogprobs = optionalNumber(body, 'top_logprobs', { integer: true, min: 0, max: B.topLogprobs });
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
