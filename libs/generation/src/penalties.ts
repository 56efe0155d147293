import { InvalidArgumentError } from '@internvl/errors';

/** OpenAI's range for presence_penalty and frequency_penalty. */
export const MAX_ABS_PENALTY = 2;

/** Throws InvalidArgumentError naming `field` unless `value` is a finite number in [-2, 2]. */
export function checkPenalty(value: number, field: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || Math.abs(value) > MAX_ABS_PENALTY) {
    throw new InvalidArgumentError(
      `${field} must be a number in [-${MAX_ABS_PENALTY}, ${MAX_ABS_PENALTY}] (0 = off), got ${value}`,
    );
  }
}

/**
 * OpenAI's presence and frequency penalties (vLLM's and the OpenAI API reference's definition):
 * `logits[t] -= frequencyPenalty * count(t) + presencePenalty * (count(t) > 0)`, where count(t) is
 * how often t occurs in `history` (the tier passes the tokens generated so far in this sequence,
 * never the prompt). Positive values make repeats less likely, negative ones more likely; both in
 * [-2, 2], 0 = off. The penalty is computed in float64 and subtracted once per token. In place;
 * returns `logits` (like the processors in logits-processors.ts).
 */
export function applyPresenceFrequencyPenalty(
  logits: Float32Array,
  history: readonly number[],
  presencePenalty: number,
  frequencyPenalty: number,
): Float32Array {
  checkPenalty(presencePenalty, 'presencePenalty');
  checkPenalty(frequencyPenalty, 'frequencyPenalty');
  if ((presencePenalty === 0 && frequencyPenalty === 0) || history.length === 0) return logits;
  const counts = new Map<number, number>();
  for (const id of history) {
    if (!Number.isInteger(id) || id < 0 || id >= logits.length) {
      throw new InvalidArgumentError(
        `history token id ${id} is outside the logits' vocabulary [0, ${logits.length}); pass the ids of this model's tokenizer`,
      );
    }
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  for (const [id, count] of counts) {
    logits[id] = logits[id]! - (frequencyPenalty * count + presencePenalty);
  }
  return logits;
}
