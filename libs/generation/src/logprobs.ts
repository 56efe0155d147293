import { InvalidArgumentError } from '@internvl/errors';

/** OpenAI's (and vLLM's default) limit on top_logprobs. */
export const MAX_TOP_LOGPROBS = 20;

/** One alternative at a position: a token id and its log-probability (float32-rounded). */
export interface IdLogprob {
  tokenId: number;
  logprob: number;
}

/** The chosen token's log-probability and the `topN` most likely tokens at its position. */
export interface PositionLogprobs extends IdLogprob {
  /** Most likely first; among equal logprobs the lower id first. */
  top: IdLogprob[];
}

/**
 * Log-probabilities of one position from the model's RAW logits (before any penalty, temperature or
 * filter, as vLLM and OpenAI report them): log-softmax computed in float64, each value reported
 * rounded to float32. `logits` is not modified. `topN` in [0, 20]: that many alternatives, sorted
 * by logprob descending, ties by lower id. O(vocabulary · (1 + topN)) at worst, O(vocabulary) typically.
 */
export function positionLogprobs(logits: Float32Array, chosen: number, topN: number): PositionLogprobs {
  if (!Number.isInteger(topN) || topN < 0 || topN > MAX_TOP_LOGPROBS) {
    throw new InvalidArgumentError(`topLogprobs must be an integer in [0, ${MAX_TOP_LOGPROBS}], got ${topN}`);
  }
  if (!Number.isInteger(chosen) || chosen < 0 || chosen >= logits.length) {
    throw new InvalidArgumentError(
      `token id ${chosen} is outside the logits' vocabulary [0, ${logits.length})`,
    );
  }
  const logZ = logSumExp(logits);
  const logprob = (id: number) => Math.fround(logits[id]! - logZ);
  return {
    tokenId: chosen,
    logprob: logprob(chosen),
    top: topIds(logits, topN).map((id) => ({ tokenId: id, logprob: logprob(id) })),
  };
}

/** log(Σ exp(x)) in float64, shifted by the maximum; -Infinity entries count 0. */
function logSumExp(logits: Float32Array): number {
  let max = -Infinity;
  for (const v of logits) if (v > max) max = v;
  if (!Number.isFinite(max)) {
    throw new InvalidArgumentError('logits have no finite maximum; log-probabilities are undefined');
  }
  let sum = 0;
  for (const v of logits) sum += Math.exp(v - max);
  return max + Math.log(sum);
}

/**
 * Ids of the `n` highest logits, highest first, ties by lower id (NaN never selected). One pass
 * keeping a sorted list of n: a logit enters only when it beats the current n-th.
 */
function topIds(logits: Float32Array, n: number): number[] {
  const ids: number[] = [];
  if (n === 0) return ids;
  for (let id = 0; id < logits.length; id++) {
    const v = logits[id]!;
    if (Number.isNaN(v)) continue;
    // Scanning ids upward, an equal value never displaces an earlier (lower) id.
    if (ids.length === n && !(v > logits[ids[n - 1]!]!)) continue;
    let at = ids.length === n ? n - 1 : ids.length;
    while (at > 0 && v > logits[ids[at - 1]!]!) at--;
    ids.splice(at, 0, id);
    if (ids.length > n) ids.pop();
  }
  return ids;
}
