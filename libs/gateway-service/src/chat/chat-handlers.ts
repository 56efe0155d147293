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
import { CancelledError, InvalidArgumentError, LimitExceededError } from '@internvl/errors';
import { serverStreaming, unary, type CallContext, type HandlerEnv } from '@internvl/service-kit';
import { requireApiKey } from '../auth/api-keys';
import { withPrefix } from '../downstream/hop-error';
import { gatewayOption } from '../gateway-config';
import type { ChatEngine, ChatRunOptions } from './chat-engine';
import { collectChat } from './collect-chat';
import { linkedAbort } from './linked-abort';

export interface ChatHandlerOptions {
  /** Accepted API keys; empty = no auth. */
  apiKeys: readonly string[];
  maxBatchInputs: number;
}

function requireInput(input: ChatInput | undefined, request: string): ChatInput {
  if (!input) throw new InvalidArgumentError(`${request}.input is required`);
  return input;
}

function runOptions(ctx: CallContext, signal = ctx.signal): ChatRunOptions {
  return { signal, deadline: ctx.deadline, metadata: ctx.metadata };
}

/**
 * Every input of a batch runs on its own and at the same time; results keep the input order. The
 * first failure fails the call, naming its input, and cancels the other inputs.
 */
async function batchChat(
  engine: ChatEngine,
  inputs: ChatInput[],
  ctx: CallContext,
  maxBatchInputs: number,
): Promise<BatchChatResponse> {
  if (inputs.length > maxBatchInputs) {
    throw new LimitExceededError(
      `the batch has ${inputs.length} inputs, over the limit of ${maxBatchInputs} (max_batch_inputs); split it or raise ${gatewayOption('max_batch_inputs')}`,
    );
  }
  const { controller, unlink } = linkedAbort(ctx.signal);
  try {
    const results = await Promise.all(
      inputs.map((input, i) =>
        collectChat(engine.stream(input, runOptions(ctx, controller.signal))).catch((err: unknown) => {
          throw withPrefix(err, `input ${i + 1} of ${inputs.length}`);
        }),
      ),
    );
    return { results };
  } finally {
    controller.abort(new CancelledError('another input of the batch failed'));
    unlink();
  }
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
      return batchChat(engine, request.inputs, ctx, options.maxBatchInputs);
    }),
  };
}
