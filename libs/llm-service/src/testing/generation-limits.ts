import type { GenerationLimits } from '../request/generation-settings';

/**
 * The small limits the request-settings specs check against: 100 context tokens, 50 new tokens by
 * default and 80 at most, 2 stop strings, a 1000-token vocabulary, and the template's stop ids.
 */
export function specLimits(templateStopIds: number[]): GenerationLimits {
  return {
    maxContextTokens: 100,
    defaultMaxNewTokens: 50,
    maxNewTokensLimit: 80,
    maxStopStrings: 2,
    vocabSize: 1000,
    templateStopIds,
  };
}
