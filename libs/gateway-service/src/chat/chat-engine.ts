import type { Metadata } from '@grpc/grpc-js';
import type { ChatInput, StreamChatResponse } from '@internvl/contracts';

/** How one chat is run: cancellation, deadline and the metadata to forward downstream. */
export interface ChatRunOptions {
  /** Aborted when the caller goes away; every downstream call is cancelled with it. */
  signal: AbortSignal;
  /** Propagated to every downstream call. */
  deadline?: Date;
  /** Incoming metadata to forward (trace context travels via OpenTelemetry, not this). */
  metadata?: Metadata;
  /** Emit a PromptInfo event first (the rendered prompt and its ids). */
  returnPrompt?: boolean;
}

/**
 * Runs chats: images → preprocess (in parallel) → vision (cache key first) → llm stream.
 * Both front doors (gRPC ChatService and the OpenAI-compatible HTTP API) sit on this.
 * Errors are typed DomainErrors (or gRPC ServiceErrors of a downstream tier) thrown from the iterator.
 */
export interface ChatEngine {
  stream(input: ChatInput, options: ChatRunOptions): AsyncIterable<StreamChatResponse>;
}
