import { Metadata, type ServiceError } from '@grpc/grpc-js';
import {
  ChatServiceClient,
  ElementType,
  ImageLayout,
  LlmServiceClient,
  PreprocessServiceClient,
  Role,
  VisionServiceClient,
  type ChatInput,
  type ChatMessage,
  type Finish,
  type GenerateRequest,
  type PromptInfo,
  type StreamChatResponse,
  generationParams,
} from '@internvl/contracts';
import { preprocessRemote } from '@internvl/tier-clients';
import { chunkBytes, createClient, duplexCall } from '@internvl/service-kit';
import { embedRemote } from '@internvl/tier-clients';

export interface Answer {
  prompt?: PromptInfo;
  text: string;
  tokenIds: number[];
  finish?: Finish;
  /** ms from the call to the first delta, and to the end. */
  ttftMs: number;
  totalMs: number;
}

const LIMITS = { maxReceiveMessageBytes: 64 << 20, maxSendMessageBytes: 64 << 20 };

export const user = (text: string, images: Buffer[] = [], maxTiles = 2): ChatMessage => ({
  role: Role.ROLE_USER,
  content: [
    ...images.map((data) => ({
      part: {
        $case: 'image' as const,
        value: { data, tiling: { minTiles: 0, maxTiles, imageSize: 0, autoOrient: false, dtype: 0 } },
      },
    })),
    { part: { $case: 'text' as const, value: text } },
  ],
});

export const assistant = (text: string): ChatMessage => ({
  role: Role.ROLE_ASSISTANT,
  content: [{ part: { $case: 'text', value: text } }],
});

export function chatInput(messages: ChatMessage[], maxNewTokens = 24): ChatInput {
  return {
    messages,
    params: generationParams({ maxNewTokens }),
    imageLayout: ImageLayout.IMAGE_LAYOUT_UNSPECIFIED,
  };
}

export function chatClient(address: string): ChatServiceClient {
  return createClient(ChatServiceClient, { addresses: [address], ...LIMITS });
}

/** ChatService/StreamChat to the end. */
export async function streamChat(
  client: ChatServiceClient,
  input: ChatInput,
  options: {
    metadata?: Metadata;
    deadline?: Date;
    returnPrompt?: boolean;
    onDelta?: (n: number) => void;
    signal?: AbortSignal;
  } = {},
): Promise<Answer> {
  const started = performance.now();
  const call = client.streamChat(
    { input, returnPrompt: options.returnPrompt ?? false },
    options.metadata ?? new Metadata(),
    options.deadline ? { deadline: options.deadline } : {},
  );
  options.signal?.addEventListener('abort', () => call.cancel(), { once: true });
  const answer: Answer = { text: '', tokenIds: [], ttftMs: 0, totalMs: 0 };
  let deltas = 0;
  await new Promise<void>((resolve, reject) => {
    call.on('data', (r: StreamChatResponse) => {
      if (r.kind?.$case === 'prompt') answer.prompt = r.kind.value;
      else if (r.kind?.$case === 'delta') {
        if (deltas === 0) answer.ttftMs = performance.now() - started;
        answer.text += r.kind.value.text;
        answer.tokenIds.push(...r.kind.value.tokenIds);
        options.onDelta?.(++deltas);
      } else if (r.kind?.$case === 'finish') answer.finish = r.kind.value;
    });
    call.on('error', (e: ServiceError) => reject(e));
    call.on('end', () => resolve());
  });
  answer.totalMs = performance.now() - started;
  return answer;
}

/**
 * The same chat without the gateway: each image through preprocess and vision, then the llm,
 * called directly — what the gateway must reproduce exactly.
 */
export async function directAnswer(
  addresses: { preprocess: string; vision: string; llm: string },
  turns: { role: Role; text: string }[],
  images: Buffer[],
  maxTiles: number,
  maxNewTokens: number,
): Promise<Answer> {
  const started = performance.now();
  const pre = createClient(PreprocessServiceClient, { addresses: [addresses.preprocess], ...LIMITS });
  const vis = createClient(VisionServiceClient, { addresses: [addresses.vision], ...LIMITS });
  const llm = createClient(LlmServiceClient, { addresses: [addresses.llm], ...LIMITS });
  try {
    const embedded = await Promise.all(
      images.map(async (image) => {
        const p = await preprocessRemote(pre, image, {
          options: {
            minTiles: 0,
            maxTiles,
            imageSize: 0,
            autoOrient: false,
            dtype: ElementType.ELEMENT_TYPE_FLOAT16,
          },
          returnTiles: false,
        });
        return embedRemote(vis, {
          cacheKey: p.result.contentHash,
          pixels: {
            bytes: p.pixelValues,
            shape: p.result.pixelValues!.shape.map(Number),
            dtype: p.result.pixelValues!.dtype,
          },
          outputDtype: ElementType.ELEMENT_TYPE_FLOAT16,
        });
      }),
    );
    function* requests(): Generator<GenerateRequest> {
      yield {
        kind: {
          $case: 'header',
          value: {
            prompt: {
              $case: 'conversation',
              value: { turns, imageLayout: ImageLayout.IMAGE_LAYOUT_UNSPECIFIED },
            },
            images: embedded.map((e) => ({ numTiles: e.result.numTiles, embeddings: e.result.embeddings })),
            params: generationParams({ maxNewTokens }),
            returnPrompt: true,
          },
        },
      };
      for (const e of embedded)
        for (const chunk of chunkBytes(e.embeddings))
          yield { kind: { $case: 'embeddingChunk', value: chunk } };
    }
    const answer: Answer = { text: '', tokenIds: [], ttftMs: 0, totalMs: 0 };
    for await (const r of duplexCall(llm.generate(new Metadata()), requests())) {
      if (r.kind?.$case === 'prompt') answer.prompt = r.kind.value;
      else if (r.kind?.$case === 'delta') {
        if (answer.tokenIds.length === 0) answer.ttftMs = performance.now() - started;
        answer.text += r.kind.value.text;
        answer.tokenIds.push(...r.kind.value.tokenIds);
      } else if (r.kind?.$case === 'finish') answer.finish = r.kind.value;
    }
    answer.totalMs = performance.now() - started;
    return answer;
  } finally {
    pre.close();
    vis.close();
    llm.close();
  }
}
