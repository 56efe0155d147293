import {
  EMBED_REQUEST_STREAM,
  EMBED_RESPONSE_STREAM,
  floatTypeFromWire,
  floatTypeToWire,
  type EmbedResult,
  type EmbedHeader,
  type EmbedRequest,
  type EmbedResponse,
  type GetVisionInfoRequest,
  type GetVisionInfoResponse,
} from '@internvl/contracts';
import { InvalidArgumentError } from '@internvl/errors';
import {
  ChunkAssembler,
  readChunkedStream,
  writeChunkedStream,
  type CallContext,
} from '@internvl/service-kit';
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
  let type: FloatType = 'float32';
  let tiles = 0;
  const { header, payload } = await readChunkedStream(requests, EMBED_REQUEST_STREAM, (h) => {
    if (h.cacheKey.length > MAX_CACHE_KEY_LENGTH) {
      throw new InvalidArgumentError(
        `cache_key is ${h.cacheKey.length} characters, over ${MAX_CACHE_KEY_LENGTH}; use the preprocess content_hash`,
      );
    }
    floatTypeFromWire(h.outputDtype, 'output_dtype', deps.defaultOutputType);
    if (!h.pixelValues) {
      // A cache probe: answered without waiting for the client to close its side.
      if (!h.cacheKey) throw new InvalidArgumentError('EmbedHeader needs pixel_values, a cache_key, or both');
      return undefined;
    }
    const spec = checkPixelSpec(h.pixelValues, deps.limits);
    ({ type, tiles } = spec);
    return new ChunkAssembler(spec.byteLength, 'pixel_values');
  });
  if (!payload) return { header, pixels: undefined };
  const data = await toFloatTypeInSteps(floatView(payload, type), deps.model.dtype);
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
  const result: EmbedResult = {
    embeddings: {
      dtype: floatTypeToWire(outputType),
      shape: [embeddings.tiles * tokensPerTile, embeddingDim],
      byteLength: bytes.byteLength,
    },
    numTiles: embeddings.tiles,
    cacheHit,
  };
  yield* writeChunkedStream(EMBED_RESPONSE_STREAM, result, [bytes]);
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
