import type { Metadata } from '@grpc/grpc-js';
import {
  FinishReason,
  LlmServiceService,
  roleToJSON,
  type GenerateHeader,
  type GenerateRequest,
  type GenerateResponse,
} from '@internvl/contracts';
import { InvalidArgumentError, OutOfRangeError } from '@internvl/errors';
import { bidiStreaming, ChunkAssembler, unary, type CallContext } from '@internvl/service-kit';
import { FAKE_ENV, startFakeServer, type Barrier, type FakeServer } from './fake-server';
import { KEY_MARK_BYTES } from './fake-vision';

/** What the llm fake answers as its first delta (JSON): everything it received. */
export interface LlmEcho {
  systemMessage: string | undefined;
  turns: Array<{ role: string; text: string }>;
  imageLayout: number;
  images: Array<{ numTiles: number; dtype: number; shape: number[]; bytes: number; key: string }>;
  maxNewTokens: number;
}

export interface FakeLlmCall {
  header: GenerateHeader;
  deadline: Date | undefined;
  metadata: Metadata;
}

/**
 * A scripted LlmService. It answers an echo of what it received (LlmEcho as JSON) then " done"
 * and a finish; a last user turn containing "hang" sends one delta and waits until the call is
 * cancelled (recorded in `cancellations`); "too long" answers OUT_OF_RANGE.
 */
export class FakeLlm {
  readonly calls: FakeLlmCall[] = [];
  cancellations = 0;
  barrier: Barrier | undefined;
  private cancelWaiters: Array<() => void> = [];

  /** Resolves once the fake has seen a call cancelled. */
  cancelled(): Promise<void> {
    if (this.cancellations > 0) return Promise.resolve();
    return new Promise((resolve) => this.cancelWaiters.push(resolve));
  }

  private async readRequest(requests: AsyncIterable<GenerateRequest>) {
    let header: GenerateHeader | undefined;
    const images: ChunkAssembler[] = [];
    let current = 0;
    for await (const request of requests) {
      const kind = request.kind;
      if (kind?.$case === 'header') {
        header = kind.value;
        for (const [i, image] of header.images.entries()) {
          images.push(new ChunkAssembler(image.embeddings?.byteLength ?? 0, `image ${i + 1} embeddings`));
        }
      } else if (kind?.$case === 'embeddingChunk') {
        while (images[current] && images[current]!.receivedBytes === images[current]!.expectedBytes)
          current += 1;
        if (!images[current])
          throw new InvalidArgumentError('more embedding bytes than the header announced');
        images[current]!.push(kind.value);
      }
    }
    if (!header) throw new InvalidArgumentError('no header');
    return { header, images: images.map((a) => a.finish()) };
  }

  private async *handle(
    requests: AsyncIterable<GenerateRequest>,
    ctx: CallContext,
  ): AsyncGenerator<GenerateResponse> {
    const { header, images } = await this.readRequest(requests);
    this.calls.push({ header, deadline: ctx.deadline, metadata: ctx.metadata });
    await this.barrier?.wait();
    const conversation = header.prompt?.$case === 'conversation' ? header.prompt.value : undefined;
    const turns = conversation?.turns ?? [];
    const question = turns[turns.length - 1]?.text ?? '';
    if (question.includes('too long')) throw new OutOfRangeError('the prompt is longer than the context');
    if (header.returnPrompt) yield { kind: { $case: 'prompt', value: { text: 'PROMPT', inputIds: [1, 2] } } };
    if (question.includes('hang')) {
      yield { kind: { $case: 'delta', value: { text: 'thinking', tokenIds: [9], logprobs: [], index: 0 } } };
      if (!ctx.signal.aborted) {
        await new Promise<void>((resolve) =>
          ctx.signal.addEventListener('abort', () => resolve(), { once: true }),
        );
      }
      this.cancellations += 1;
      for (const wake of this.cancelWaiters.splice(0)) wake();
      throw ctx.signal.reason;
    }
    const echo: LlmEcho = {
      systemMessage: conversation?.systemMessage,
      turns: turns.map((t) => ({ role: roleToJSON(t.role), text: t.text })),
      imageLayout: conversation?.imageLayout ?? 0,
      images: header.images.map((image, i) => ({
        numTiles: image.numTiles,
        dtype: image.embeddings?.dtype ?? 0,
        shape: image.embeddings?.shape ?? [],
        bytes: images[i]!.byteLength,
        key: images[i]!.subarray(0, KEY_MARK_BYTES).toString('latin1'),
      })),
      maxNewTokens: header.params?.maxNewTokens ?? 0,
    };
    yield {
      kind: { $case: 'delta', value: { text: JSON.stringify(echo), tokenIds: [1], logprobs: [], index: 0 } },
    };
    yield { kind: { $case: 'delta', value: { text: ' done', tokenIds: [2, 3], logprobs: [], index: 0 } } };
    const imageTokens = header.images.reduce((n, image) => n + image.numTiles * 256, 0);
    yield {
      kind: {
        $case: 'finish',
        value: {
          reason: FinishReason.FINISH_REASON_STOP,
          usage: { promptTokens: 10 + imageTokens, imageTokens, completionTokens: 3, cachedTokens: 0 },
          timings: undefined,
          index: 0,
        },
      },
    };
  }

  start(modelName = 'fake-internvl'): Promise<FakeServer> {
    return startFakeServer(LlmServiceService, {
      generate: bidiStreaming(FAKE_ENV, 'generate', (requests: AsyncIterable<GenerateRequest>, ctx) =>
        this.handle(requests, ctx),
      ),
      renderPrompt: unary(FAKE_ENV, 'renderPrompt', async () => ({ prompt: { text: '', inputIds: [] } })),
      getLlmInfo: unary(FAKE_ENV, 'getLlmInfo', async () => ({
        modelName,
        template: 'fake',
        hiddenSize: 4,
        maxContextTokens: 4096,
        maxActiveSequences: 4,
        executionProvider: 'cpu',
      })),
    });
  }
}
