import type { GenerationParams } from './gen/internvl/v1/generation.pb';

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
