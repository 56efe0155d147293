import type { GenerationParams } from '@internvl/contracts';
import { InvalidArgumentError } from '@internvl/errors';
import { MAX_ABS_PENALTY, MAX_TOP_LOGPROBS } from '@internvl/generation';

/** What a request asked for in logprobs: returned only when present. */
export interface LogprobSettings {
  /** Alternatives per position, 0 to 20. */
  top: number;
}

/** OpenAI's presence/frequency penalties of a request (absent = 0 = off), range-checked. */
export function penaltySettings(p: GenerationParams): { presencePenalty: number; frequencyPenalty: number } {
  return {
    presencePenalty: penalty(p.presencePenalty, 'presence_penalty'),
    frequencyPenalty: penalty(p.frequencyPenalty, 'frequency_penalty'),
  };
}

function penalty(value: number | undefined, field: string): number {
  if (value === undefined) return 0;
  if (!Number.isFinite(value) || Math.abs(value) > MAX_ABS_PENALTY) {
    throw new InvalidArgumentError(
      `${field} is ${value}; it must be in [-${MAX_ABS_PENALTY}, ${MAX_ABS_PENALTY}] (0 = off)`,
    );
  }
  return value;
}

/**
 * logprobs / top_logprobs → settings, or undefined when not asked (nothing is computed then).
 * top_logprobs must be an integer in [0, 20] and needs logprobs, as in OpenAI's API.
 */
export function logprobSettings(p: GenerationParams): LogprobSettings | undefined {
  const top = p.topLogprobs;
  if (!Number.isInteger(top) || top < 0 || top > MAX_TOP_LOGPROBS) {
    throw new InvalidArgumentError(
      `top_logprobs is ${top}; it must be an integer in [0, ${MAX_TOP_LOGPROBS}]`,
    );
  }
  if (!p.logprobs) {
    if (top > 0) {
      throw new InvalidArgumentError(
        `top_logprobs is ${top} but logprobs is false; set logprobs to get them`,
      );
    }
    return undefined;
  }
  return { top };
}
