import { randomBytes } from 'node:crypto';
import { FinishReason, type Finish, type Usage } from '@internvl/contracts';
import type { OpenAiLogprobs } from './openai-logprobs';

/** Builds the OpenAI objects of one completion; all share its id, creation time and model. */
export class ChatCompletionFormat {
  readonly id = `chatcmpl-${randomBytes(12).toString('hex')}`;
  readonly created = Math.floor(Date.now() / 1000);

  constructor(readonly model: string) {}

  /** One choice per entry, in index order; `logprobs` null when the request did not ask for them. */
  completion(choices: CompletionChoice[], usage: Usage | undefined) {
    return {
      id: this.id,
      object: 'chat.completion',
      created: this.created,
      model: this.model,
      choices: choices.map((c, index) => ({
        index,
        message: { role: 'assistant', content: c.content },
        finish_reason: c.reason,
        logprobs: c.logprobs ?? null,
      })),
      usage: openAiUsage(usage),
    };
  }

  /** The first chunk of each choice announces the role, as OpenAI's does. */
  roleChunk(includeUsage: boolean, index = 0) {
    return this.chunk({ role: 'assistant', content: '' }, null, includeUsage, null, index);
  }

  /** With logprobs asked, the chunk carries the logprobs of its delta's tokens. */
  contentChunk(content: string, includeUsage: boolean, logprobs: OpenAiLogprobs | null = null, index = 0) {
    return this.chunk({ content }, null, includeUsage, logprobs, index);
  }

  finishChunk(reason: OpenAiFinishReason, includeUsage: boolean, index = 0) {
    return this.chunk({}, reason, includeUsage, null, index);
  }

  /** Sent after the finish chunk when stream_options.include_usage is set. */
  usageChunk(usage: Usage | undefined) {
    return { ...this.header(), choices: [], usage: openAiUsage(usage) };
  }

  private chunk(
    delta: object,
    reason: OpenAiFinishReason | null,
    includeUsage: boolean,
    logprobs: OpenAiLogprobs | null = null,
    index = 0,
  ) {
    const choices = [{ index, delta, logprobs, finish_reason: reason }];
    // With include_usage OpenAI puts "usage": null on every chunk before the usage chunk.
    return includeUsage ? { ...this.header(), choices, usage: null } : { ...this.header(), choices };
  }

  private header() {
    return { id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model };
  }
}

export type OpenAiFinishReason = 'stop' | 'length';

/** One choice of a whole (non-streamed) completion. */
export interface CompletionChoice {
  content: string;
  reason: OpenAiFinishReason;
  logprobs?: OpenAiLogprobs | null;
}

/**
 * The usage of a request with several choices: the prompt once (and its cached share as the first
 * choice saw it), every choice's completion tokens.
 */
export function combinedUsage(finishes: readonly (Finish | undefined)[]): Usage | undefined {
  const first = finishes[0]?.usage;
  if (!first) return undefined;
  const completionTokens = finishes.reduce((n, f) => n + (f?.usage?.completionTokens ?? 0), 0);
  return { ...first, completionTokens };
}

/** Undefined for CANCELLED/unspecified: those are not answers but errors. */
export function openAiFinishReason(reason: FinishReason): OpenAiFinishReason | undefined {
  if (reason === FinishReason.FINISH_REASON_STOP) return 'stop';
  if (reason === FinishReason.FINISH_REASON_LENGTH) return 'length';
  return undefined;
}

export function openAiUsage(usage: Usage | undefined) {
  const prompt = usage?.promptTokens ?? 0;
  const completion = usage?.completionTokens ?? 0;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    // image_tokens (non-standard): the prompt's image tokens (<IMG_CONTEXT>), part of prompt_tokens.
    prompt_tokens_details: { cached_tokens: usage?.cachedTokens ?? 0, image_tokens: usage?.imageTokens ?? 0 },
  };
}
