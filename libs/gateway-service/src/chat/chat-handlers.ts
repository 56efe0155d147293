import {
  ChatServiceService,
  type BatchChatRequest,
  type BatchChatResponse,
  type ChatInput,
  type ChatRequest,
  type ChatResponse,
  type ChatServiceServer,
  type StreamChatRequest,
  type StreamChatResponse,
} from '@internvl/contracts';
import { CancelledError, InvalidArgumentError } from '@internvl/errors';
import { serverStreaming, unary, type CallContext, type HandlerEnv } from '@internvl/service-kit';
import { requireApiKey } from '../auth/api-keys';
import { grpcStatusLabel, NO_MEASURE, type GatewayMetrics, type RequestMeasure } from '../gateway-metrics';
import type { ChatEngine, ChatRunOptions } from './chat-engine';
import { runBatchChat } from './batch-chat';
import { collectChat } from './collect-chat';

export interface ChatHandlerOptions {
  /** Accepted API keys; empty = no auth. */
  apiKeys: readonly string[];
  maxBatchInputs: number;
  /** Inputs of one BatchChat run at once (batch_concurrency, resolved); default 2. */
  batchConcurrency?: number;
  /** Requests by method and status, and StreamChat's time to first token. */
  metrics?: GatewayMetrics;
}

function requireInput(input: ChatInput | undefined, request: string): ChatInput {
  if (!input) throw new InvalidArgumentError(`${request}.input is required`);
  return input;
}

function runOptions(ctx: CallContext, signal = ctx.signal): ChatRunOptions {
  return { signal, deadline: ctx.deadline, metadata: ctx.metadata };
}

/**
 * The status a failed call ends with as its client sees it: the call's own cancel or deadline
 * once its signal is aborted (whatever error that caused downstream), else the error's code.
 */
function failedStatus(ctx: CallContext, err: unknown): string {
  return grpcStatusLabel(ctx.signal.aborted ? ctx.signal.reason : err);
}

/** A unary call's outcome counted: `OK`, or the code its error is answered with. */
async function measuredCall<T>(measure: RequestMeasure, ctx: CallContext, run: () => Promise<T>): Promise<T> {
  try {
    const result = await run();
    measure.end('OK');
    return result;
  } catch (err) {
    measure.end(failedStatus(ctx, err));
    throw err;
  }
}

/**
 * A stream's events passed on, the first delta marking the time to first token once it is
 * written (the writer asks for the next event only then), and the outcome counted: `OK`, the
 * code of the error, or, when the writer stopped early (client gone, deadline), the call's abort.
 */
async function* measuredStream(
  measure: RequestMeasure,
  ctx: CallContext,
  events: () => AsyncIterable<StreamChatResponse>,
): AsyncGenerator<StreamChatResponse> {
  let outcome: string | undefined;
  try {
    for await (const event of events()) {
      yield event;
      if (event.kind?.$case === 'delta') measure.firstToken();
    }
    outcome = 'OK';
  } catch (err) {
    outcome = failedStatus(ctx, err);
    throw err;
  } finally {
    measure.end(outcome ?? failedStatus(ctx, new CancelledError('the stream stopped')));
  }
}

/** ChatService on top of a ChatEngine: StreamChat, Chat and BatchChat, each behind the API keys. */
export function chatServiceHandlers(
  env: HandlerEnv,
  engine: ChatEngine,
  options: ChatHandlerOptions,
): ChatServiceServer {
  const { apiKeys } = options;
  const measure = (method: keyof typeof ChatServiceService) =>
    options.metrics?.request(ChatServiceService[method].path) ?? NO_MEASURE;
  return {
    streamChat: serverStreaming<StreamChatRequest, StreamChatResponse>(env, 'streamChat', (request, ctx) =>
      measuredStream(measure('streamChat'), ctx, () => {
        requireApiKey(ctx.metadata, apiKeys);
        const input = requireInput(request.input, 'StreamChatRequest');
        return engine.stream(input, { ...runOptions(ctx), returnPrompt: request.returnPrompt });
      }),
    ),
    chat: unary<ChatRequest, ChatResponse>(env, 'chat', (request, ctx) =>
      measuredCall(measure('chat'), ctx, async () => {
        requireApiKey(ctx.metadata, apiKeys);
        return collectChat(engine.stream(requireInput(request.input, 'ChatRequest'), runOptions(ctx)));
      }),
    ),
    batchChat: unary<BatchChatRequest, BatchChatResponse>(env, 'batchChat', (request, ctx) =>
      measuredCall(measure('batchChat'), ctx, async () => {
        requireApiKey(ctx.metadata, apiKeys);
        return runBatchChat(engine, request.inputs, ctx, {
          maxBatchInputs: options.maxBatchInputs,
          concurrency: options.batchConcurrency ?? 2,
        });
      }),
    ),
  };
}
