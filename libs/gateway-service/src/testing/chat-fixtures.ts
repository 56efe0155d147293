import { strict as assert } from 'node:assert';
import {
  ChatServiceClient,
  PROTO_FILES,
  PROTO_ROOT,
  Role,
  TilingOptions,
  ChatServiceService,
  type ChatInput,
  type ChatMessage,
  type ContentPart,
  type StreamChatResponse,
} from '@internvl/contracts';
import { credentials } from '@grpc/grpc-js';
import { createLogger, ServiceHost } from '@internvl/service-kit';
import { chatServiceHandlers, type ChatHandlerOptions } from '../chat/chat-handlers';
import type { ChatEngine } from '../chat/chat-engine';
import type { ChatLimits } from '../chat/chat-limits';
import { ChatOrchestrator } from '../chat/chat-orchestrator';
import { closeTiers, createTiers } from '../downstream/create-tiers';
import type { Tiers } from '../downstream/tier';
import { FakeLlm, type LlmEcho } from './fake-llm';
import { FakePreprocess } from './fake-preprocess';
import type { FakeServer } from './fake-server';
import { FakeVision } from './fake-vision';

// Builders for chats and a stack of fake tiers with the real orchestrator on top.

export const text = (value: string): ContentPart => ({ part: { $case: 'text', value } });

/** An image part whose bytes are `content` (the fake preprocess reads "tiles=N", "bad", "busy"). */
export const image = (content: string, tiling?: Partial<TilingOptions>): ContentPart => ({
  part: {
    $case: 'image',
    value: { data: Buffer.from(content), tiling: tiling ? TilingOptions.fromPartial(tiling) : undefined },
  },
});

export const user = (...content: ContentPart[]): ChatMessage => ({ role: Role.ROLE_USER, content });
export const assistant = (...content: ContentPart[]): ChatMessage => ({ role: Role.ROLE_ASSISTANT, content });
export const system = (...content: ContentPart[]): ChatMessage => ({ role: Role.ROLE_SYSTEM, content });

export function chat(...messages: ChatMessage[]): ChatInput {
  return { messages, params: undefined, imageLayout: 0 };
}

export const DEFAULT_LIMITS: ChatLimits = { maxImages: 16, maxTotalTiles: 128, defaultMaxTiles: 12 };

/** The three fake tiers on port 0 and clients of them. */
export class FakeStack {
  readonly preprocess = new FakePreprocess();
  readonly vision = new FakeVision();
  readonly llm = new FakeLlm();
  servers!: { preprocess: FakeServer; vision: FakeServer; llm: FakeServer };
  tiers!: Tiers;

  static async start(): Promise<FakeStack> {
    const stack = new FakeStack();
    const [preprocess, vision, llm] = await Promise.all([
      stack.preprocess.start(),
      stack.vision.start(),
      stack.llm.start(),
    ]);
    stack.servers = { preprocess, vision, llm };
    stack.tiers = createTiers({
      preprocess_addr: [preprocess.address],
      vision_addr: [vision.address],
      llm_addr: [llm.address],
      downstream_tls_ca_file: '',
    });
    return stack;
  }

  engine(
    limits: Partial<ChatLimits> = {},
    options: { defaultTimeoutMs?: number; imageCacheLookup?: boolean } = {},
  ): ChatOrchestrator {
    return new ChatOrchestrator({
      tiers: this.tiers,
      limits: { ...DEFAULT_LIMITS, ...limits },
      defaultTimeoutMs: options.defaultTimeoutMs ?? 0,
      imageCacheLookup: options.imageCacheLookup,
    });
  }

  stop(): void {
    closeTiers(this.tiers);
    for (const server of Object.values(this.servers)) server.stop();
  }
}

export async function drain(events: AsyncIterable<StreamChatResponse>): Promise<StreamChatResponse[]> {
  const out: StreamChatResponse[] = [];
  for await (const event of events) out.push(event);
  return out;
}

/** The fake llm's echo: the JSON of the first text delta. */
export function echoOf(events: StreamChatResponse[] | string): LlmEcho {
  if (typeof events === 'string') return JSON.parse(events.slice(0, events.lastIndexOf(' done'))) as LlmEcho;
  const first = events.find((e) => e.kind?.$case === 'delta');
  assert.ok(first?.kind?.$case === 'delta', 'a delta event');
  return JSON.parse(first.kind.value.text) as LlmEcho;
}

/** ChatService on a ServiceHost on port 0 over `engine`, and a client of it. */
export async function startChatService(
  engine: ChatEngine,
  options: ChatHandlerOptions = { apiKeys: [], maxBatchInputs: 8 },
): Promise<{ client: ChatServiceClient; stop(): Promise<void> }> {
  const host = new ServiceHost({
    name: 'gateway',
    host: '127.0.0.1',
    port: 0,
    maxReceiveMessageBytes: 64 * 1024 * 1024,
    maxSendMessageBytes: 4 * 1024 * 1024,
    shutdownTimeoutMs: 0,
    messageLimitHint: '--max-receive-message-bytes',
    reflection: { root: PROTO_ROOT, files: PROTO_FILES },
    log: createLogger('gateway', 'silent'),
  });
  host.addService(
    'internvl.v1.ChatService',
    ChatServiceService,
    chatServiceHandlers(host.env, engine, options),
  );
  const port = await host.listen();
  host.markServing();
  const client = new ChatServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
  return {
    client,
    stop: async () => {
      client.close();
      await host.shutdown('test over', true);
    },
  };
}
