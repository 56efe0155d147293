import type { GenerationParams } from '@internvl/contracts';
import { checkGenerationParamNumbers, generationParams } from '@internvl/contracts';
import { InvalidArgumentError, OutOfRangeError } from '@internvl/errors';
import type { SamplerParams } from '@internvl/generation';
import { beamSettings, type BeamSettings } from './beam-settings';
import { logprobSettings, penaltySettings, type LogprobSettings } from './penalty-logprob-settings';
import type { OutputConstraint } from '../grammar/output-constraint';

/** The tier's limits and defaults that shape a request's settings. */
export interface GenerationLimits {
  maxContextTokens: number;
  defaultMaxNewTokens: number;
  maxNewTokensLimit: number;
  maxStopStrings: number;
  vocabSize: number;
  /** The model's eos and the template's stop ids. */
  templateStopIds: readonly number[];
}

/** How one request generates. */
export interface GenerationSettings {
  sampling: SamplerParams;
  stopTokenIds: number[];
  stopStrings: string[];
  maxNewTokens: number;
  /** Present when the request asked for logprobs. */
  logprobs?: LogprobSettings;
  /** Beam search instead of sampling. */
  beam?: BeamSettings;
  /** Structured output, when asked for. */
  constraint?: OutputConstraint;
}

/**
 * GenerationParams (zero/absent = default) → settings, with the context checked before any work:
 * a prompt that leaves no room, or an explicit max_new_tokens that does not fit, is OUT_OF_RANGE
 * with the numbers; the default max_new_tokens shrinks to the room left.
 */
export function generationSettings(
  params: GenerationParams | undefined,
  promptTokens: number,
  imageTokens: number,
  limits: GenerationLimits,
): GenerationSettings {
  const p = params ?? generationParams();
  const room = limits.maxContextTokens - promptTokens;
  if (room <= 0) {
    throw new OutOfRangeError(
      `the prompt is ${promptTokens} tokens (${imageTokens} of them image tokens) and the model's context is ${limits.maxContextTokens} tokens; nothing is left to generate`,
    );
  }
  if (!Number.isInteger(p.maxNewTokens) || p.maxNewTokens < 0) {
    throw new InvalidArgumentError(`max_new_tokens is ${p.maxNewTokens}; it must be ≥ 0 (0 = default)`);
  }
  if (p.maxNewTokens > limits.maxNewTokensLimit) {
    throw new InvalidArgumentError(
      `max_new_tokens is ${p.maxNewTokens}, over this tier's limit of ${limits.maxNewTokensLimit} (--max-new-tokens-limit)`,
    );
  }
  if (p.maxNewTokens > room) {
    throw new OutOfRangeError(
      `${promptTokens} prompt tokens + max_new_tokens ${p.maxNewTokens} = ${promptTokens + p.maxNewTokens} exceeds the model's context of ${limits.maxContextTokens} tokens; ask for at most ${room}`,
    );
  }
  if (p.stop.length > limits.maxStopStrings) {
    throw new InvalidArgumentError(
      `${p.stop.length} stop strings; at most ${limits.maxStopStrings} are allowed`,
    );
  }
  for (const id of p.stopTokenIds) {
    if (!Number.isInteger(id) || id < 0 || id >= limits.vocabSize) {
      throw new InvalidArgumentError(
        `stop_token_ids holds ${id}, outside the vocabulary [0, ${limits.vocabSize})`,
      );
    }
  }
  checkGenerationParamNumbers(p);
  return {
    sampling: {
      temperature: p.temperature,
      topP: p.topP ?? 1,
      topK: p.topK,
      repetitionPenalty: p.repetitionPenalty ?? 1,
      ...penaltySettings(p),
      seed: p.seed,
    },
    stopTokenIds: [...new Set([...limits.templateStopIds, ...p.stopTokenIds])],
    stopStrings: [...p.stop],
    maxNewTokens: p.maxNewTokens === 0 ? Math.min(limits.defaultMaxNewTokens, room) : p.maxNewTokens,
    logprobs: logprobSettings(p),
    constraint: outputConstraint(p),
    beam: beamSettings(p),
  };
}

/** GenerationParams.constraint as the tier's OutputConstraint; a wrong one is INVALID_ARGUMENT. */
function outputConstraint(p: GenerationParams): OutputConstraint | undefined {
  const c = p.constraint;
  if (!c) return undefined;
  switch (c.$case) {
    case 'jsonObject':
      return c.value ? { kind: 'json_object' } : undefined;
    case 'jsonSchema':
    case 'regex':
    case 'ebnf': {
      const kind = c.$case === 'jsonSchema' ? 'json_schema' : c.$case;
      if (c.value.trim() === '') throw new InvalidArgumentError(`${kind} is empty`);
      return { kind, source: c.value };
    }
  }
}
