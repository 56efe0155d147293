import {
  floatTypeFromWire,
  floatTypeToWire,
  type EmbedHeader,
  type EmbedRequest,
  type EmbedResponse,
  type GetVisionInfoRequest,
  type GetVisionInfoResponse,
} from '@internvl/contracts';
import { InvalidArgumentError } from '@internvl/errors';
import { ChunkAssembler, chunkBytes, type CallContext } from '@internvl/service-kit';
import type { Embedder } from './embedder';
import {
  floatBytes,
  floatView,
  toFloatTypeInSteps,
  type FloatArray,
  type FloatType,
} from '@internvl/float-formats';
import { checkPixelSpec, type PixelLimits } from './pixel-spec';
import type { VisionModel } from './vision-model';

export interface VisionHandlerDeps {
  model: VisionModel;
  embedder: Embedder;
  limits: PixelLimits;
  defaultOutputType: FloatType;
  maxBatchTiles: number;
}

/** Longest cache key accepted (content hashes are 64 hex digits). */
const MAX_CACHE_KEY_LENGTH = 256;

/** The request's pixels, checked and converted to the model's element type. */
interface RequestPixels {
  data: FloatArray;
  tiles: number;
}

/** Reads the header and, when it announces pixel_values, every chunk of them. */
async function readRequest(
  requests: AsyncIterable<EmbedRequest>,
  deps: VisionHandlerDeps,
): Promise<{ header: EmbedHeader; pixels: RequestPixels | undefined }> {
  let header: EmbedHeader | undefined;
  let assembler: ChunkAssembler | undefined;
  let type: FloatType = 'float32';
  let tiles = 0;
  for await (const request of requests) {
    const kind = request.kind;
    if (!kind)
      throw new InvalidArgumentError('empty EmbedRequest: each message must carry a header or a pixel_chunk');
    if (kind.$case === 'header') {
      if (header) throw new InvalidArgumentError('EmbedRequest header sent twice; send it once, first');
      header = kind.value;
      if (header.cacheKey.length > MAX_CACHE_KEY_LENGTH) {
        throw new InvalidArgumentError(
          `cache_key is ${header.cacheKey.length} characters, over ${MAX_CACHE_KEY_LENGTH}; use the preprocess content_hash`,
        );
      }
      floatTypeFromWire(header.outputDtype, 'output_dtype', deps.defaultOutputType);
      if (!header.pixelValues) {
        // A cache probe: answered without waiting for the client to close its side.
        if (!header.cacheKey)
          throw new InvalidArgumentError('EmbedHeader needs pixel_values, a cache_key, or both');
        return { header, pixels: undefined };
      }
      const spec = checkPixelSpec(header.pixelValues, deps.limits);
      ({ type, tiles } = spec);
      assembler = new ChunkAssembler(spec.byteLength, 'pixel_values');
    } else {
      if (!assembler)
        throw new InvalidArgumentError('pixel_chunk before the header; send the EmbedHeader first');
      assembler.push(kind.value);
    }
  }
  if (!header || !assembler)
    throw new InvalidArgumentError('the request stream ended without an EmbedHeader');
  const data = await toFloatTypeInSteps(floatView(assembler.finish(), type), deps.model.dtype);
  return { header, pixels: { data, tiles } };
}

/**
 * VisionService/Embed: header (+ pixel_values chunks) in; result header + embedding chunks
 * `[tiles * 256, hidden]` out. Pixels are validated and converted before they join a batch.
 */
export async function* handleEmbed(
  requests: AsyncIterable<EmbedRequest>,
  ctx: CallContext,
  deps: VisionHandlerDeps,
): AsyncGenerator<EmbedResponse> {
  const { header, pixels } = await readRequest(requests, deps);
  const outputType = floatTypeFromWire(header.outputDtype, 'output_dtype', deps.defaultOutputType);
  const { embeddings, cacheHit } = await deps.embedder.embed(
    { cacheKey: header.cacheKey || undefined, pixels },
    ctx.signal,
  );
  const bytes = floatBytes(await toFloatTypeInSteps(embeddings.data, outputType));
  const { tokensPerTile, embeddingDim } = deps.model;
  yield {
    kind: {
      $case: 'result',
      value: {
        embeddings: {
          dtype: floatTypeToWire(outputType),
          shape: [embeddings.tiles * tokensPerTile, embeddingDim],
          byteLength: bytes.byteLength,
        },
        numTiles: embeddings.tiles,
        cacheHit,
      },
    },
  };
  for (const chunk of chunkBytes(bytes)) yield { kind: { $case: 'embeddingChunk', value: chunk } };
}

/** VisionService/GetVisionInfo: what is loaded and how it runs. */
export async function handleGetVisionInfo(
  _request: GetVisionInfoRequest,
  deps: VisionHandlerDeps,
): Promise<GetVisionInfoResponse> {
  const { model } = deps;
  return {
    modelName: model.name,
    imageSize: model.imageSize,
    tokensPerTile: model.tokensPerTile,
    embeddingDim: model.embeddingDim,
    executionProvider: model.provider,
    maxBatchTiles: deps.maxBatchTiles,
  };
}
