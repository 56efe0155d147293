import {
  ElementType,
  VisionServiceService,
  type EmbedRequest,
  type EmbedResponse,
  type TensorSpec,
} from '@internvl/contracts';
import { NotFoundError } from '@internvl/errors';
import { bidiStreaming, ChunkAssembler, chunkBytes, unary, type CallContext } from '@internvl/service-kit';
import { FAKE_ENV, startFakeServer, type FakeServer } from './fake-server';

export interface FakeVisionCall {
  cacheKey: string;
  /** Pixel bytes sent; undefined for a cache probe. */
  pixelBytes: number | undefined;
  outputDtype: ElementType;
  deadline: Date | undefined;
}

/** Embedding width of the fake: rows are [tiles * 256, 4]. */
export const FAKE_HIDDEN = 4;
/** How many leading bytes of a fake embedding spell its cache key (the llm fake reads them back). */
export const KEY_MARK_BYTES = 16;

/**
 * A scripted VisionService with a real cache: a probe (no pixels) for an unknown key answers
 * NOT_FOUND. Embeddings start with their cache key's first KEY_MARK_BYTES characters, so the llm
 * fake can tell which image is which.
 */
export class FakeVision {
  readonly calls: FakeVisionCall[] = [];
  private readonly cache = new Map<string, { bytes: Buffer; tiles: number }>();

  private async *handle(
    requests: AsyncIterable<EmbedRequest>,
    ctx: CallContext,
  ): AsyncGenerator<EmbedResponse> {
    let key = '';
    let pixelSpec: TensorSpec | undefined;
    let outputDtype = ElementType.ELEMENT_TYPE_UNSPECIFIED;
    let pixels: ChunkAssembler | undefined;
    for await (const request of requests) {
      const kind = request.kind;
      if (kind?.$case === 'header') {
        key = kind.value.cacheKey;
        pixelSpec = kind.value.pixelValues;
        outputDtype = kind.value.outputDtype;
        if (pixelSpec) pixels = new ChunkAssembler(pixelSpec.byteLength, 'pixel_values');
      } else if (kind?.$case === 'pixelChunk') pixels!.push(kind.value);
    }
    this.calls.push({
      cacheKey: key,
      pixelBytes: pixels?.finish().byteLength,
      outputDtype,
      deadline: ctx.deadline,
    });
    let entry = this.cache.get(key);
    const cacheHit = entry !== undefined;
    if (!entry) {
      if (!pixelSpec) throw new NotFoundError(`no embeddings cached for key ${key}`);
      const tiles = pixelSpec.shape[0]!;
      const bytes = Buffer.alloc(tiles * 256 * FAKE_HIDDEN * 2);
      bytes.write(key.slice(0, KEY_MARK_BYTES), 'latin1');
      entry = { bytes, tiles };
      if (key) this.cache.set(key, entry);
    }
    const dtype = outputDtype || ElementType.ELEMENT_TYPE_FLOAT16;
    yield {
      kind: {
        $case: 'result',
        value: {
          embeddings: { dtype, shape: [entry.tiles * 256, FAKE_HIDDEN], byteLength: entry.bytes.byteLength },
          numTiles: entry.tiles,
          cacheHit,
        },
      },
    };
    for (const chunk of chunkBytes(entry.bytes)) yield { kind: { $case: 'embeddingChunk', value: chunk } };
  }

  start(): Promise<FakeServer> {
    return startFakeServer(VisionServiceService, {
      embed: bidiStreaming(FAKE_ENV, 'embed', (requests: AsyncIterable<EmbedRequest>, ctx) =>
        this.handle(requests, ctx),
      ),
      getVisionInfo: unary(FAKE_ENV, 'getVisionInfo', async () => ({
        modelName: 'fake',
        imageSize: 448,
        tokensPerTile: 256,
        embeddingDim: FAKE_HIDDEN,
        executionProvider: 'cpu',
        maxBatchTiles: 8,
      })),
    });
  }
}
