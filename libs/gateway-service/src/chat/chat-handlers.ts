import type {
  BatchChatRequest,
  BatchChatResponse,
  ChatInput,
  ChatRequest,
  ChatResponse,
  ChatServiceServer,
  StreamChatRequest,
  StreamChatResponse,
} from '@internvl/contracts';
import { InvalidArgumentError } from '@internvl/errors';
import { serverStreaming, unary, type CallContext, type HandlerEnv } from '@internvl/service-kit';
import { requireApiKey } from '../auth/api-keys';
import type { ChatEngine, ChatRunOptions } from './chat-engine';
import { runBatchChat } from './batch-chat';
import { collectChat } from './collect-chat';

export interface ChatHandlerOptions {
  /** Accepted API keys; empty = no auth. */
  apiKeys: readonly string[];
  maxBatchInputs: number;
  /** Inputs of one BatchChat run at once (batch_concurrency, resolved); default 2. */
  batchConcurrency?: number;
}

function requireInput(input: ChatInput | undefined, request: string): ChatInput {
  if (!input) throw new InvalidArgumentError(`${request}.input is required`);
  return input;
}

function runOptions(ctx: CallContext, signal = ctx.signal): ChatRunOptions {
  return { signal, deadline: ctx.deadline, metadata: ctx.metadata };
}

/** ChatService on top of a ChatEngine: StreamChat, Chat and BatchChat, each behind the API keys. */
export function chatServiceHandlers(
  env: HandlerEnv,
  engine: ChatEngine,
  options: ChatHandlerOptions,
): ChatServiceServer {
  const { apiKeys } = options;
  return {
    streamChat: serverStreaming<StreamChatRequest, StreamChatResponse>(
      env,
      'streamChat',
      async function* (request, ctx) {
        requireApiKey(ctx.metadata, apiKeys);
        const input = requireInput(request.input, 'StreamChatRequest');
        yield* engine.stream(input, { ...runOptions(ctx), returnPrompt: request.returnPrompt });
      },
    ),
    chat: unary<ChatRequest, ChatResponse>(env, 'chat', async (request, ctx) => {
      requireApiKey(ctx.metadata, apiKeys);
      return collectChat(engine.stream(requireInput(request.input, 'ChatRequest'), runOptions(ctx)));
    }),
    batchChat: unary<BatchChatRequest, BatchChatResponse>(env, 'batchChat', async (request, ctx) => {
      requireApiKey(ctx.metadata, apiKeys);
      return runBatchChat(engine, request.inputs, ctx, {
        maxBatchInputs: options.maxBatchInputs,
        concurrency: options.batchConcurrency ?? 2,
      });
    }),
  };
}
