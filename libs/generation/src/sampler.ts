import { InvalidArgumentError } from '@internvl/errors';
import {
  applyRepetitionPenalty,
  applyTemperature,
  applyTopK,
  applyTopP,
  argmax,
  softmax,
} from './logits-processors';
import { applyPresenceFrequencyPenalty, checkPenalty } from './penalties';
import { checkPositive, checkTopK, checkTopP } from './validate';
import { createRng } from './prng';

/** Sampling parameters, named as in the OpenAI/HF APIs (camelCase). */
export interface SamplerParams {
  /** ≥ 0; 0 means greedy (argmax). */
  temperature: number;
  /** In (0, 1]; 1 disables nucleus filtering. */
  topP: number;
  /** Integer ≥ 0; 0 disables top-k filtering. */
  topK: number;
  /** > 0; 1 disables the CTRL repetition penalty. */
  repetitionPenalty: number;
  /** OpenAI presence penalty in [-2, 2], on the ids in `history`; absent or 0 = off. */
  presencePenalty?: number;
  /** OpenAI frequency penalty in [-2, 2], per occurrence in `history`; absent or 0 = off. */
  frequencyPenalty?: number;
  /** Safe integer; the same seed and inputs give the same tokens. Omitted: a random seed. */
  seed?: number;
}

/** Picks the next token id. */
export interface Sampler {
  /**
   * Next token id from one step's logits (vocabulary-sized; NOT modified, a copy is processed)
   * and the sequence so far (the ids the repetition, presence and frequency penalties look at; the
   * llm tier passes the generated ids only).
   */
  sample(logits: Float32Array, history: readonly number[]): number;
}

/**
 * Validates `params` and builds a {@link Sampler}. Pipeline order is HF's: repetition penalty,
 * then OpenAI's presence/frequency penalties (vLLM's order), then temperature, top-k, top-p, then a
 * draw from the softmax with a seeded Mulberry32 PRNG (see {@link createRng}). Temperature 0 skips
 * the warpers and takes the argmax (ties → lowest id). Throws InvalidArgumentError naming the
 * offending field.
 */
export function createSampler(params: SamplerParams): Sampler {
  const { temperature, topP, topK, repetitionPenalty, seed } = params;
  const { presencePenalty = 0, frequencyPenalty = 0 } = params;
  if (typeof temperature !== 'number' || !Number.isFinite(temperature) || temperature < 0) {
    throw new InvalidArgumentError(
      `temperature must be a finite number ≥ 0 (0 = greedy), got ${temperature}`,
    );
  }
  checkTopP(topP);
  checkTopK(topK);
  checkPositive(repetitionPenalty, 'repetitionPenalty');
  checkPenalty(presencePenalty, 'presencePenalty');
  checkPenalty(frequencyPenalty, 'frequencyPenalty');
  // An unseeded request still gets a deterministic generator; only its seed is random.
  const rng = createRng(seed ?? Math.floor(Math.random() * 2 ** 32));

  return {
    sample(logits, history) {
      if (logits.length === 0)
        throw new InvalidArgumentError('logits are empty; expected one per vocabulary id');
      const scores = Float32Array.from(logits);
      applyRepetitionPenalty(scores, history, repetitionPenalty);
      applyPresenceFrequencyPenalty(scores, history, presencePenalty, frequencyPenalty);
      if (temperature === 0) return argmax(scores);
      applyTemperature(scores, temperature);
      applyTopK(scores, topK);
      applyTopP(scores, topP);
      return draw(softmax(scores), rng());
    },
  };
}

/** Inverse-CDF draw; `u` in [0, 1). */
function draw(probs: Float64Array, u: number): number {
  let cumulative = 0;
  let last = -1;
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i]!;
    if (p === 0) continue;
    cumulative += p;
    last = i;
    if (u < cumulative) return i;
  }
  // Rounding can leave the total a hair below u; the last possible token is then the right answer.
  return last;
}
