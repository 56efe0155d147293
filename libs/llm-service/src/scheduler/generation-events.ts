import type { FinishReason, PositionLogprobs } from '@internvl/generation';

/** Token counts of one generation (OpenAI's usage, plus the image share of the prompt). */
export interface GenerationUsage {
  promptTokens: number;
  imageTokens: number;
  completionTokens: number;
  /** Prompt tokens whose KV came from the prefix cache instead of being computed. */
  cachedTokens: number;
}

/** Where the time of one generation went, in milliseconds. */
export interface GenerationTimings {
  queueMs: number;
  timeToFirstTokenMs: number;
  timePerOutputTokenMs: number;
  totalMs: number;
}

/** What a generation streams: text deltas, then one finish. */
export type GenerationEvent =
  | {
      type: 'delta';
      text: string;
      tokenIds: number[];
      /** With logprobs asked: one entry per token id, from the raw logits. */
      logprobs?: PositionLogprobs[];
    }
  | { type: 'finish'; reason: FinishReason; usage: GenerationUsage; timings: GenerationTimings };
