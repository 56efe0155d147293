import { InvalidArgumentError } from '@internvl/errors';
import type { InternVLConfig } from '@internvl/model-config';
import { cachedGenerationRotary, decoderHiddenStates, lmHeadLogits } from './decoder-forward';
import { embedTokens, mergeImageEmbeds } from './embeddings';
import { cachedWeights, type WeightSource } from './weight-source';

/*
 * Beam search as HF transformers `generate(num_beams=k, do_sample=False, length_penalty, early_stopping)`
 * runs it: `GenerationMixin._beam_search` + `BeamSearchScorer.process/finalize` + `BeamHypotheses`, as of
 * transformers 4.40 (the form since 4.36's decoder_prompt_len fix: process() uses
 * `cur_len = input_ids.shape[-1] + 1` both as the EOS hypothesis's generated_len and in is_done). Checked
 * against generation/beam_search.py of a transformers snapshot of that era. For a decoder-only model called
 * with inputs_embeds only (InternVL chat()), input_ids starts empty, so decoder_prompt_len = 0,
 * max_length = max_new_tokens, and every HF length counts generated tokens only. No logits processors are
 * applied (none is active for do_sample=False without min_length, repetition or bad-words settings).
 */

/** Next-token logits [vocab] after the generated tokens `tokens` (the prompt is the callback's business). */
export type NextLogits = (tokens: readonly number[]) => Float32Array;

export interface BeamSearchOptions {
  /** k ≥ 1. HF itself runs greedy search for 1; this runs the beam algorithm, which picks the same tokens. */
  numBeams: number;
  /** max_new_tokens (≥ 1); with empty input_ids it is also HF's max_length. */
  maxNewTokens: number;
  /** eos_token_id list; the first one is what finalize appends (see {@link BeamSearchResult.tokens}). */
  eosIds: readonly number[];
  /** length_penalty: a hypothesis scores sum_logprobs / length ** lengthPenalty. Default 1. */
  lengthPenalty?: number;
  /** early_stopping: true, false (HF's heuristic) or 'never'. Default false. */
  earlyStopping?: boolean | 'never';
}

export interface BeamHypothesis {
  /** generated tokens, without the EOS that finished it */
  tokens: number[];
  /** sum_logprobs / generated_len ** lengthPenalty, generated_len counting the EOS when there is one */
  score: number;
}

export interface BeamSearchResult {
  /**
   * HF's `sequences[0]` for num_return_sequences=1 (no prompt, since input_ids was empty): the best
   * hypothesis's tokens, then `eosIds[0]` — the first EOS id, not necessarily the one generated — when the
   * hypothesis is shorter than maxNewTokens (which happens exactly when it ended by an EOS).
   */
  tokens: number[];
  /** HF's `sequence_scores[0]`: the best hypothesis's score */
  score: number;
  /** the kept hypotheses (at most numBeams), best first */
  hypotheses: BeamHypothesis[];
}

/**
 * log_softmax of float32 logits, computed in float64 and rounded to float32 (torch keeps float32). The
 * result is the correctly rounded value, which may differ from torch's float32 kernel by an ulp.
 */
export function logSoftmaxF32(logits: Float32Array): Float32Array {
  let max = -Infinity;
  for (const v of logits) {
    if (Number.isNaN(v)) throw new InvalidArgumentError('logits contain NaN');
    if (v > max) max = v;
  }
  let sum = 0;
  for (const v of logits) sum += Math.exp(v - max);
  const logSum = Math.log(sum);
  const out = new Float32Array(logits.length);
  for (let i = 0; i < logits.length; i++) out[i] = logits[i] - max - logSum;
  return out;
}

interface Candidate {
  score: number; // float32 value
  beam: number;
  token: number;
}

/**
 * torch.topk(scores.view(k·V), n, largest=True, sorted=True). Ties: lower flat index (beam·V + token)
 * first. torch's CPU kernel leaves the order of equal values unspecified (nth_element/partial_sort on value
 * only); exact float32 ties among the top candidates are rare outside the −1e9 rows of step 0.
 */
function topCandidates(rows: Float32Array[], beamScores: number[], n: number): Candidate[] {
  const top: Candidate[] = [];
  rows.forEach((row, beam) => {
    for (let token = 0; token < row.length; token++) {
      const score = Math.fround(row[token] + beamScores[beam]); // float32 add
      if (top.length === n && !(score > top[n - 1].score)) continue;
      let i = top.length;
      while (i > 0 && score > top[i - 1].score) i--;
      top.splice(i, 0, { score, beam, token });
      if (top.length > n) top.pop();
    }
  });
  return top;
}

/** HF BeamHypotheses: the n best finished hypotheses of one batch element. */
class Hypotheses {
  readonly beams: BeamHypothesis[] = [];
  private worstScore = 1e9;

  constructor(
    private readonly numBeams: number,
    private readonly lengthPenalty: number,
    private readonly earlyStopping: boolean | 'never',
    private readonly maxLength: number,
  ) {}

  add(tokens: number[], sumLogprobs: number, generatedLen: number): void {
    const score = sumLogprobs / generatedLen ** this.lengthPenalty;
    if (this.beams.length < this.numBeams || score > this.worstScore) {
      this.beams.push({ tokens, score });
      if (this.beams.length > this.numBeams) {
        // sorted([(s, idx) ...]): ascending score, ties by list index; drop the first, worst = the second.
        const order = this.beams
          .map((b, idx) => ({ s: b.score, idx }))
          .sort((a, b) => a.s - b.s || a.idx - b.idx);
        this.beams.splice(order[0].idx, 1);
        this.worstScore = order[1].s;
      } else {
        this.worstScore = Math.min(score, this.worstScore);
      }
    }
  }

  isDone(bestSumLogprobs: number, curLen: number): boolean {
    if (this.beams.length < this.numBeams) return false;
    if (this.earlyStopping === true) return true;
    const len = this.earlyStopping === 'never' && this.lengthPenalty > 0 ? this.maxLength : curLen;
    return this.worstScore >= bestSumLogprobs / len ** this.lengthPenalty;
  }

  /** sorted(beams, key=score) then pop(): the highest score, the latest added among equals. */
  best(): BeamHypothesis {
    let best = this.beams[0];
    for (const b of this.beams) if (b.score >= best.score) best = b;
    return best;
  }
}

/**
 * HF beam search (batch 1, num_return_sequences 1, decoder_prompt_len 0) over a next-token callback.
 *
 * Per step, with n tokens generated in each running beam (cur_len = n + 1 in BeamSearchScorer.process):
 * - scores = float32(log_softmax(logits)) + beam score (float32 add); beam scores start [0, −1e9, …] so
 *   step 0 expands only the first (identical) beam;
 * - top max(2, 1 + #eos)·k of the flattened (beam, token) scores, sorted descending;
 * - walk them in order: an EOS candidate of rank ≥ k is skipped; one of rank < k adds the beam's tokens
 *   (without the EOS) as a hypothesis scored sum / (n + 1) ** lp — HF passes generated_len = cur_len, which
 *   counts the EOS; other candidates become the next beams until k are chosen;
 * - done once k hypotheses exist and: early_stopping true; false: worst ≥ best / cur_len ** lp, best being
 *   the step's top candidate score (EOS or not); 'never': the same with max_length when lp > 0;
 * - stop when done or maxNewTokens tokens are generated. If not done, finalize adds every running beam
 *   with its running score and generated_len = its length.
 */
export function beamSearch(nextLogits: NextLogits, options: BeamSearchOptions): BeamSearchResult {
  const { numBeams: k, maxNewTokens, eosIds, lengthPenalty = 1, earlyStopping = false } = options;
  if (!Number.isInteger(k) || k < 1) throw new InvalidArgumentError(`numBeams must be ≥ 1, got ${k}`);
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1) {
    throw new InvalidArgumentError(`maxNewTokens must be ≥ 1 (HF rejects 0), got ${maxNewTokens}`);
  }
  if (!Number.isFinite(lengthPenalty)) throw new InvalidArgumentError('lengthPenalty must be finite');
  const nCandidates = Math.max(2, 1 + eosIds.length) * k;
  const hyps = new Hypotheses(k, lengthPenalty, earlyStopping, maxNewTokens);
  let beams: { tokens: number[]; score: number }[] = Array.from({ length: k }, (_, i) => ({
    tokens: [],
    score: i === 0 ? 0 : Math.fround(-1e9),
  }));
  let done: boolean;
  for (let curLen = 1; ; curLen++) {
    const memo = new Map<string, Float32Array>();
    const rows = beams.map((b) => {
      const key = b.tokens.join(',');
      let row = memo.get(key);
      if (row === undefined) {
        row = logSoftmaxF32(nextLogits(b.tokens));
        memo.set(key, row);
      }
      return row;
    });
    const vocab = rows[0].length;
    if (rows.some((r) => r.length !== vocab) || nCandidates > k * vocab) {
      throw new InvalidArgumentError(`need ${nCandidates} candidates from ${k} beams of ${vocab} logits`);
    }
    const candidates = topCandidates(
      rows,
      beams.map((b) => b.score),
      nCandidates,
    );
    const next: typeof beams = [];
    for (let rank = 0; rank < candidates.length && next.length < k; rank++) {
      const { score, beam, token } = candidates[rank];
      if (eosIds.includes(token)) {
        if (rank >= k) continue;
        hyps.add([...beams[beam].tokens], score, curLen);
      } else {
        next.push({ tokens: [...beams[beam].tokens, token], score });
      }
    }
    if (next.length < k)
      throw new InvalidArgumentError(`fewer than ${k} non-EOS candidates at step ${curLen}`);
    done = hyps.isDone(candidates[0].score, curLen);
    beams = next;
    if (done || curLen >= maxNewTokens) break;
  }
  if (!done) for (const b of beams) hyps.add(b.tokens, b.score, b.tokens.length);
  const best = hyps.best();
  const tokens = [...best.tokens];
  if (tokens.length < maxNewTokens) {
    if (eosIds.length === 0) throw new InvalidArgumentError('a hypothesis ended early without an EOS id');
    tokens.push(eosIds[0]);
  }
  const hypotheses = hyps.beams
    .map((h, i) => ({ h, i }))
    .sort((a, b) => b.h.score - a.h.score || b.i - a.i)
    .map(({ h }) => h);
  return { tokens, score: best.score, hypotheses };
}

/**
 * The reference model as a {@link NextLogits}: each call recomputes the whole sequence (prompt embeds with
 * image rows merged, then the generated tokens' plain embeddings) with the rotary rows of HF's cached
 * generation, as {@link greedyGenerate} does, and returns the last position's logits.
 * @param imageEmbeds [#IMG_CONTEXT in prompt, hidden], or undefined for a text-only prompt
 */
export function referenceNextLogits(
  config: InternVLConfig,
  weights: WeightSource,
  promptIds: readonly number[],
  imageEmbeds: Float32Array | undefined,
  imgContextId: number,
): NextLogits {
  if (promptIds.length === 0) throw new InvalidArgumentError('generation needs at least one prompt token');
  const w = cachedWeights(weights);
  let prompt = embedTokens(config, w, promptIds);
  if (imageEmbeds !== undefined) prompt = mergeImageEmbeds(prompt, promptIds, imgContextId, imageEmbeds);
  const P = promptIds.length;
  return (tokens) => {
    const T = P + tokens.length;
    const embeds = new Float32Array(T * config.llm.hiddenSize);
    embeds.set(prompt);
    embeds.set(embedTokens(config, w, tokens), prompt.length);
    const hidden = decoderHiddenStates(config, w, embeds, T, undefined, cachedGenerationRotary(config, P, T));
    return lmHeadLogits(config, w, hidden, 1, T - 1);
  };
}

/**
 * Beam search decoding (do_sample=False, num_beams=k) of the reference model by full recompute per beam:
 * slow, simple, for tiny models. See {@link beamSearch} for the exact HF semantics.
 * @returns the new token ids only, as HF's `sequences[0]` (EOS appended when it ended by one)
 */
export function beamSearchGenerate(
  config: InternVLConfig,
  weights: WeightSource,
  promptIds: readonly number[],
  imageEmbeds: Float32Array | undefined,
  imgContextId: number,
  options: BeamSearchOptions,
): number[] {
  return beamSearch(referenceNextLogits(config, weights, promptIds, imageEmbeds, imgContextId), options)
    .tokens;
}
