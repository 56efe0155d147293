import { randomBytes } from 'node:crypto';
import { FinishReason, type Usage } from '@internvl/contracts';

/** Builds the OpenAI objects of one completion; all share its id, creation time and model. */
export class ChatCompletionFormat {
  readonly id = `chatcmpl-${randomBytes(12).toString('hex')}`;
  readonly created = Math.floor(Date.now() / 1000);

  constructor(readonly model: string) {}

  completion(content: string, reason: OpenAiFinishReason, usage: Usage | undefined) {
    return {
      id: this.id,
      object: 'chat.completion',
      created: this.created,
      model: this.model,
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: reason, logprobs: null }],
      usage: openAiUsage(usage),
    };
  }

  /** The first chunk of a stream announces the role, as OpenAI's does. */
  roleChunk(includeUsage: boolean) {
    return this.chunk({ role: 'assistant', content: '' }, null, includeUsage);
  }

  contentChunk(content: string, includeUsage: boolean) {
    return this.chunk({ content }, null, includeUsage);
  }

  finishChunk(reason: OpenAiFinishReason, includeUsage: boolean) {
    return this.chunk({}, reason, includeUsage);
  }

  /** Sent after the finish chunk when stream_options.include_usage is set. */
  usageChunk(usage: Usage | undefined) {
    return { ...this.header(), choices: [], usage: openAiUsage(usage) };
  }

  private chunk(delta: object, reason: OpenAiFinishReason | null, includeUsage: boolean) {
    const choices = [{ index: 0, delta, logprobs: null, finish_reason: reason }];
    // With include_usage OpenAI puts "usage": null on every chunk before the usage chunk.
    return includeUsage ? { ...this.header(), choices, usage: null } : { ...this.header(), choices };
  }

  private header() {
    return { id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model };
  }
}

export type OpenAiFinishReason = 'stop' | 'length';

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
    prompt_tokens_details: { cached_tokens: usage?.cachedTokens ?? 0 },
  };
}
