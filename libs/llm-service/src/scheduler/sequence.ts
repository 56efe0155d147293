import {
  createSampler,
  createStopStringMatcher,
  createStreamingDetokenizer,
  createTokenStopper,
  positionLogprobs,
  type FinishReason,
  type Sampler,
  type SamplerParams,
  type StopStringMatcher,
  type StreamingDetokenizer,
  type TokenStopper,
} from '@internvl/generation';
import { InternalError } from '@internvl/errors';
import type { FloatArray } from '@internvl/float-formats';
import type { TokenConstraint, TokenConstraintFactory } from '../grammar/output-constraint';
import type { BeamSettings } from '../request/beam-settings';
import { applyTokenBitmask } from '../grammar/token-bitmask';
import { EventChannel } from './event-channel';
import type { GenerationEvent } from './generation-events';

/** Everything a sequence needs to generate, already validated by the handler. */
export interface SequenceRequest {
  inputIds: Int32Array;
  /** <IMG_CONTEXT> rows in the decoder's dtype, count already checked. */
  imageEmbeds?: FloatArray;
  /** Rows of each image in `imageEmbeds`, in order. */
  imageRows?: number[];
  /** Beam search instead of sampling (num_beams > 1). */
  beam?: BeamSettings;
  /** Structured output: makes this sequence's grammar matcher (compiled already). */
  constraint?: TokenConstraintFactory;
  imageTokens: number;
  sampling: SamplerParams;
  /** Template eos/stop ids plus the request's. */
  stopTokenIds: number[];
  stopStrings: string[];
  /** Already clamped to the context left after the prompt. */
  maxNewTokens: number;
  decode(ids: readonly number[]): string;
  specialIds: ReadonlySet<number>;
  /** Report each token's logprob (and `top` alternatives) from the raw logits; absent = not asked. */
  logprobs?: { top: number };
}

/**
 * One request's generation state: its sampler, stop criteria, streaming detokenizer and the
 * channel its events go out on. `accept` turns each sampled token into events.
 */
export class Sequence {
  readonly generated: number[] = [];
  readonly channel: EventChannel<GenerationEvent>;
  readonly arrivedAt = performance.now();
  admittedAt: number | undefined;
  firstTokenAt: number | undefined;
  /** Prompt tokens found in the prefix cache. */
  cachedTokens = 0;
  private matcher: TokenConstraint | undefined;
  /** The allowed next tokens, once prepareMask has run. */
  private mask: Int32Array | undefined;
  /** Set when the caller went away; the scheduler drops the sequence at the next step boundary. */
  cancelled = false;
  private readonly sampler: Sampler;
  private readonly stopper: TokenStopper;
  private readonly stopMatcher: StopStringMatcher;
  private readonly detokenizer: StreamingDetokenizer;

  constructor(
    readonly id: number,
    readonly request: SequenceRequest,
    onCancel: () => void,
  ) {
    this.sampler = createSampler(request.sampling);
    this.stopper = createTokenStopper({
      stopTokenIds: request.stopTokenIds,
      maxNewTokens: request.maxNewTokens,
    });
    this.stopMatcher = createStopStringMatcher(request.stopStrings);
    // A stop token ends the answer and is never shown, special-marked or not (Phi-3's `</s>` is not).
    this.detokenizer = createStreamingDetokenizer({
      decode: request.decode,
      specialIds: new Set([...request.specialIds, ...request.stopTokenIds]),
    });
    this.channel = new EventChannel<GenerationEvent>(() => {
      this.cancelled = true;
      onCancel();
    });
  }

  get lastToken(): number {
    return this.generated[this.generated.length - 1]!;
  }

  /**
   * With a constraint: works out which tokens may come next, so that `accept` can mask them. The
   * scheduler calls it while the decoder runs, off the step's critical path.
   */
  async prepareMask(): Promise<void> {
    if (!this.request.constraint || this.mask) return;
    this.matcher ??= await this.request.constraint();
    this.mask = await this.matcher.nextMask();
  }

  /** Samples the next token from its logits row and emits it; returns why it ended, if it did. */
  accept(logits: Float32Array): FinishReason | undefined {
    let scores = logits;
    if (this.matcher) {
      if (!this.mask)
        throw new InternalError('a constrained sequence sampled before its token mask was ready');
      scores = applyTokenBitmask(Float32Array.from(logits), this.mask);
      this.mask = undefined;
    }
    // InternVL's generate() passes only inputs_embeds to the language model, so HF's repetition
    // penalty sees the generated ids alone, never the prompt's: do the same.
    const token = this.sampler.sample(scores, this.generated);
    if (this.matcher && !this.matcher.accept(token)) {
      throw new InternalError(`the grammar refused token ${token} its own mask allowed`);
    }
    this.generated.push(token);
    this.firstTokenAt ??= performance.now();
    let reason = this.stopper.check(token, this.generated.length);
    // A complete grammar allows only stop tokens, so this is the answer's end.
    if (this.matcher?.isTerminated()) reason ??= 'stop';
    const { emit, stopped } = this.stopMatcher.push(this.detokenizer.push(token));
    let text = emit;
    if (stopped) reason = 'stop';
    else if (reason) text += this.stopMatcher.push(this.detokenizer.flush()).emit + this.stopMatcher.flush();
    // From the raw row (before penalties, temperature, filters and masks), only when asked.
    const lp = this.request.logprobs && positionLogprobs(logits, token, this.request.logprobs.top);
    this.channel.push({ type: 'delta', text, tokenIds: [token], ...(lp && { logprobs: [lp] }) });
    return reason;
  }

  /**
   * Emits a whole answer at once (beam search knows its tokens only at the end): one delta with
   * every token; the answer stopped if it ends with a stop token.
   */
  emitAll(tokens: readonly number[]): FinishReason {
    this.firstTokenAt ??= performance.now();
    let text = '';
    for (const token of tokens) {
      this.generated.push(token);
      text += this.detokenizer.push(token);
    }
    text += this.detokenizer.flush();
    this.channel.push({ type: 'delta', text, tokenIds: [...tokens] });
    const last = tokens[tokens.length - 1];
    return last !== undefined && this.request.stopTokenIds.includes(last) ? 'stop' : 'length';
  }

  /** Ends the stream with an error. */
  fail(err: unknown): void {
    this.releaseConstraint();
    this.channel.fail(err);
  }

  private releaseConstraint(): void {
    this.matcher?.dispose();
    this.matcher = undefined;
  }

  /** Sends the finish event (returned too, for metrics) and closes the stream. */
  finish(reason: FinishReason): GenerationEvent & { type: 'finish' } {
    this.releaseConstraint();
    const now = performance.now();
    const first = this.firstTokenAt ?? now;
    const n = this.generated.length;
    const event = {
      type: 'finish' as const,
      reason,
      usage: {
        promptTokens: this.request.inputIds.length,
        imageTokens: this.request.imageTokens,
        completionTokens: n,
        cachedTokens: this.cachedTokens,
      },
      timings: {
        queueMs: (this.admittedAt ?? now) - this.arrivedAt,
        timeToFirstTokenMs: first - this.arrivedAt,
        timePerOutputTokenMs: n > 1 ? (now - first) / (n - 1) : 0,
        totalMs: now - this.arrivedAt,
      },
    };
    this.channel.push(event);
    this.channel.close();
    return event;
  }
}
