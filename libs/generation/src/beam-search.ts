import { InvalidArgumentError } from '@internvl/errors';

/** How a beam search runs (HF generate's num_beams, length_penalty, early_stopping). */
export interface BeamSearchOptions {
  numBeams: number;
  /** Ids that end a hypothesis; the first is appended to the answer when it ended early (as HF). */
  eosIds: readonly number[];
  /** Scores are sum of log-probs / generated_length ** lengthPenalty. */
  lengthPenalty: number;
  /** Stop once numBeams hypotheses are finished (else: once none can still be beaten). */
  earlyStopping: boolean;
  maxNewTokens: number;
}

/** What one step decided: beam j continues from beam sources[j] with tokens[j]. */
export interface BeamStep {
  sources: number[];
  tokens: number[];
  /** No beam can improve the result: take `best()`. */
  done: boolean;
}

interface Hypothesis {
  score: number;
  tokens: number[];
}

const f32 = Math.fround;

/** log-softmax of a logits row in float64, rounded to float32 (torch keeps scores in float32). */
function logSoftmax(logits: Float32Array): Float32Array {
  let max = -Infinity;
  for (const v of logits) if (v > max) max = v;
  let sum = 0;
  for (const v of logits) sum += Math.exp(v - max);
  const logSum = max + Math.log(sum);
  return logits.map((v) => v - logSum);
}

/**
 * Beam search over decoder steps with HuggingFace `generate(num_beams=k)` semantics (the
 * `BeamSearchScorer` / `BeamHypotheses` of transformers 4.40, for a decoder fed `inputs_embeds`,
 * so every length counts generated tokens only): beam scores start at [0, -1e9, …]; each step takes
 * the max(2, 1 + #eos)·k best (beam, token) continuations of score + log_softmax; an eos among the
 * first k closes a hypothesis scored sum / (cur_len ** length_penalty), cur_len counting the eos;
 * the rest fill the k beams; at the end the open beams join the hypotheses and the best one wins.
 */
export class BeamSearch {
  private scores: number[];
  private beams: number[][];
  private readonly hypotheses: Hypothesis[] = [];
  private worst = 1e9;
  private finished = false;

  constructor(private readonly options: BeamSearchOptions) {
    const { numBeams, eosIds, maxNewTokens } = options;
    if (!Number.isInteger(numBeams) || numBeams < 2) {
      throw new InvalidArgumentError(`num_beams must be an integer ≥ 2 for beam search, got ${numBeams}`);
    }
    if (eosIds.length === 0) throw new InvalidArgumentError('beam search needs at least one eos id');
    if (!Number.isFinite(options.lengthPenalty)) {
      throw new InvalidArgumentError(`length_penalty must be a finite number, got ${options.lengthPenalty}`);
    }
    if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1) {
      throw new InvalidArgumentError(`max_new_tokens must be ≥ 1, got ${maxNewTokens}`);
    }
    this.scores = Array.from({ length: numBeams }, (_, b) => (b === 0 ? 0 : -1e9));
    this.beams = Array.from({ length: numBeams }, () => []);
  }

  /** Tokens generated so far (every beam has as many). */
  get length(): number {
    return this.beams[0]!.length;
  }

  /**
   * One step from the k beams' logits rows (in beam order): picks the next k beams.
   * Once `done` (or at max_new_tokens), call best().
   */
  step(logits: readonly Float32Array[]): BeamStep {
    const { numBeams: k, eosIds, lengthPenalty } = this.options;
    if (this.finished) throw new InvalidArgumentError('beam search is already done');
    if (logits.length !== k)
      throw new InvalidArgumentError(`beam search expected ${k} logits rows, got ${logits.length}`);
    // The best continuations over all beams: max(2, 1 + #eos)·k of them, so k non-eos ones are
    // always among them (a partial selection keeps this O(k·vocab)).
    const keep = Math.max(2, 1 + eosIds.length) * k;
    const top: { score: number; beam: number; token: number }[] = [];
    logits.forEach((row, beam) => {
      const lp = logSoftmax(row);
      const base = this.scores[beam]!;
      for (let token = 0; token < lp.length; token++) {
        const score = f32(base + lp[token]!);
        if (top.length === keep && !(score > top[top.length - 1]!.score)) continue;
        let at = top.length;
        while (at > 0 && score > top[at - 1]!.score) at--;
        top.splice(at, 0, { score, beam, token });
        if (top.length > keep) top.pop();
      }
    });
    const curLen = this.length + 1;
    const sources: number[] = [];
    const tokens: number[] = [];
    const scores: number[] = [];
    for (let rank = 0; rank < top.length && sources.length < k; rank++) {
      const { score, beam, token } = top[rank]!;
      if (eosIds.includes(token)) {
        if (rank >= k) continue;
        this.add([...this.beams[beam]!], score, curLen);
      } else {
        sources.push(beam);
        tokens.push(token);
        scores.push(score);
      }
    }
    this.beams = sources.map((b, j) => [...this.beams[b]!, tokens[j]!]);
    this.scores = scores;
    const done =
      this.hypotheses.length >= k &&
      (this.options.earlyStopping || this.worst >= top[0]!.score / curLen ** lengthPenalty);
    if (done) this.finished = true;
    return { sources, tokens, done };
  }

  /** The answer: the best hypothesis (open beams count when search stopped at max_new_tokens). */
  best(): number[] {
    if (!this.finished) {
      this.beams.forEach((tokens, b) => this.add(tokens, this.scores[b]!, tokens.length));
      this.finished = true;
    }
    // HF sorts by score and pops the last: among equals, the one added last.
    const best = this.hypotheses.reduce((a, h) => (h.score >= a.score ? h : a));
    // HF pads with eos_token_id[0] when the answer is shorter than max_length.
    return best.tokens.length < this.options.maxNewTokens
      ? [...best.tokens, this.options.eosIds[0]!]
      : best.tokens;
  }

  private add(tokens: number[], sumLogprobs: number, generatedLength: number): void {
    const k = this.options.numBeams;
    const score = sumLogprobs / generatedLength ** this.options.lengthPenalty;
    if (this.hypotheses.length < k || score > this.worst) {
      this.hypotheses.push({ score, tokens });
      if (this.hypotheses.length > k) {
        const sorted = this.hypotheses.map((h, i) => ({ s: h.score, i })).sort((a, b) => a.s - b.s);
        this.hypotheses.splice(sorted[0]!.i, 1);
        this.worst = sorted[1]!.s;
      } else this.worst = Math.min(score, this.worst);
    }
  }
}
