import { InvalidArgumentError } from '@internvl/errors';
import { checkPositive, checkTopK, checkTopP } from './validate';

/*
 * Logits processors, HF `generation/logits_process.py` semantics. Each one edits the Float32Array
 * it is given IN PLACE and returns that same array, so a pipeline can chain them without
 * allocating a vocabulary-sized array per step. Copy first if the caller's logits must survive.
 * A removed token gets -Infinity, as HF's `filter_value`.
 */

/**
 * CTRL-style repetition penalty (HF RepetitionPenaltyLogitsProcessor): for each distinct id in
 * `history` (prompt and generated tokens), a negative logit is multiplied by `penalty` and a
 * non-negative one divided by it, so penalty > 1 always makes the token less likely.
 * Each id is penalised once however often it occurs. In place; returns `logits`.
 */
export function applyRepetitionPenalty(
  logits: Float32Array,
  history: readonly number[],
  penalty: number,
): Float32Array {
  checkPositive(penalty, 'repetitionPenalty');
  if (penalty === 1) return logits;
  const seen = new Set<number>();
  for (const id of history) {
    if (seen.has(id)) continue;
    if (!Number.isInteger(id) || id < 0 || id >= logits.length) {
      throw new InvalidArgumentError(
        `history token id ${id} is outside the logits' vocabulary [0, ${logits.length}); pass the ids of this model's tokenizer`,
      );
    }
    seen.add(id);
    const logit = logits[id]!;
    logits[id] = logit < 0 ? logit * penalty : logit / penalty;
  }
  return logits;
}

/** Divides every logit by `temperature` (> 0; use greedy decoding for 0). In place; returns `logits`. */
export function applyTemperature(logits: Float32Array, temperature: number): Float32Array {
  checkPositive(temperature, 'temperature');
  if (temperature === 1) return logits;
  for (let i = 0; i < logits.length; i++) logits[i] = logits[i]! / temperature;
  return logits;
}

/**
 * Keeps the `topK` highest logits (HF TopKLogitsWarper): everything strictly below the k-th
 * highest value becomes -Infinity, so ties with the k-th value are kept. `topK` 0 (or ≥ the
 * vocabulary) disables it. In place; returns `logits`.
 */
export function applyTopK(logits: Float32Array, topK: number): Float32Array {
  checkTopK(topK);
  if (topK === 0 || topK >= logits.length) return logits;
  const sorted = Float32Array.from(logits).sort(); // ascending; NaN last
  const threshold = sorted[logits.length - topK]!;
  for (let i = 0; i < logits.length; i++) if (!(logits[i]! >= threshold)) logits[i] = -Infinity;
  return logits;
}

/**
 * Nucleus filtering (HF TopPLogitsWarper): sort ascending, take the cumulative softmax, and remove
 * every token whose cumulative probability is ≤ 1 - `topP`; the most likely token is always kept
 * (min_tokens_to_keep = 1). Among equal logits the higher id sorts first, so it is removed first.
 * `topP` in (0, 1]; 1 disables it. In place; returns `logits`.
 */
export function applyTopP(logits: Float32Array, topP: number): Float32Array {
  checkTopP(topP);
  if (topP === 1) return logits;
  const probs = softmax(logits);
  const order = Array.from(logits.keys()).sort((a, b) => logits[a]! - logits[b]! || b - a);
  const cutoff = 1 - topP;
  let cumulative = 0;
  // The last (most likely) entry is never removed: min_tokens_to_keep = 1.
  for (let rank = 0; rank < order.length - 1; rank++) {
    const id = order[rank]!;
    cumulative += probs[id]!;
    if (cumulative > cutoff) break;
    logits[id] = -Infinity;
  }
  return logits;
}

/**
 * Softmax into a NEW Float64Array (the input is untouched). -Infinity logits get probability 0;
 * throws when no logit is finite, since there is then nothing to sample.
 */
export function softmax(logits: Float32Array): Float64Array {
  let max = -Infinity;
  for (const v of logits) if (v > max) max = v;
  if (!Number.isFinite(max)) {
    throw new InvalidArgumentError('logits have no finite value; nothing can be sampled');
  }
  const out = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const e = Math.exp(logits[i]! - max);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < out.length; i++) out[i] = out[i]! / sum;
  return out;
}

/** Index of the highest logit; ties go to the lowest id. Throws on an empty or all-NaN array. */
export function argmax(logits: Float32Array): number {
  let best = -1;
  let bestValue = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i]!;
    if (v > bestValue || (best === -1 && v === -Infinity)) {
      best = i;
      bestValue = v;
    }
  }
  if (best === -1) throw new InvalidArgumentError('logits are empty or all NaN; nothing can be chosen');
  return best;
}
