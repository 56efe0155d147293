import {
  createSampler,
  createStopStringMatcher,
  createStreamingDetokenizer,
  createTokenStopper,
  type FinishReason,
  type Sampler,
  type SamplerParams,
  type StopStringMatcher,
  type StreamingDetokenizer,
  type TokenStopper,
} from '@internvl/generation';
import type { KvArray } from '@internvl/ort';
import { EventChannel } from './event-channel';
import type { GenerationEvent } from './generation-events';

/** Everything a sequence needs to generate, already validated by the handler. */
export interface SequenceRequest {
  inputIds: Int32Array;
  /** <IMG_CONTEXT> rows in the decoder's dtype, count already checked. */
  imageEmbeds?: KvArray;
  /** Rows of each image in `imageEmbeds`, in order. */
  imageRows?: number[];
  imageTokens: number;
  sampling: SamplerParams;
  /** Template eos/stop ids plus the request's. */
  stopTokenIds: number[];
  stopStrings: string[];
  /** Already clamped to the context left after the prompt. */
  maxNewTokens: number;
  decode(ids: readonly number[]): string;
  specialIds: ReadonlySet<number>;
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
    this.detokenizer = createStreamingDetokenizer({ decode: request.decode, specialIds: request.specialIds });
    this.channel = new EventChannel<GenerationEvent>(() => {
      this.cancelled = true;
      onCancel();
    });
  }

  get lastToken(): number {
    return this.generated[this.generated.length - 1]!;
  }

  /** Samples the next token from its logits row and emits it; returns why it ended, if it did. */
  accept(logits: Float32Array): FinishReason | undefined {
    // InternVL's generate() passes only inputs_embeds to the language model, so HF's repetition
    // penalty sees the generated ids alone, never the prompt's: do the same.
    const token = this.sampler.sample(logits, this.generated);
    this.generated.push(token);
    this.firstTokenAt ??= performance.now();
    let reason = this.stopper.check(token, this.generated.length);
    const { emit, stopped } = this.stopMatcher.push(this.detokenizer.push(token));
    let text = emit;
    if (stopped) reason = 'stop';
    else if (reason) text += this.stopMatcher.push(this.detokenizer.flush()).emit + this.stopMatcher.flush();
    this.channel.push({ type: 'delta', text, tokenIds: [token] });
    return reason;
  }

  /** Sends the finish event (returned too, for metrics) and closes the stream. */
  finish(reason: FinishReason): GenerationEvent & { type: 'finish' } {
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
