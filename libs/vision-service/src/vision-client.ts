import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import type {
  ElementType,
  EmbedHeader,
  EmbedRequest,
  EmbedResult,
  TensorSpec,
  VisionServiceClient,
} from '@internvl/contracts';
import { InvalidArgumentError } from '@internvl/errors';
import { callOptions, ChunkAssembler, chunkBytes, duplexCall } from '@internvl/service-kit';

/** pixel_values to send: raw little-endian bytes with their shape and element type. */
export interface EmbedPixels {
  bytes: Uint8Array;
  /** [tiles, 3, 448, 448]. */
  shape: number[];
  dtype: ElementType;
}

export interface EmbedRemoteRequest {
  /** The preprocess content_hash; looks up and fills the tier's embedding cache. */
  cacheKey?: string;
  /** Absent: only probe the cache (NOT_FOUND on a miss). */
  pixels?: EmbedPixels;
  /** Element type of the returned embeddings (unspecified: the tier's default, fp16). */
  outputDtype: ElementType;
}

export interface RemoteEmbedResult {
  result: EmbedResult;
  /** image_embeds [tiles * 256, hidden] bytes as described by result.embeddings. */
  embeddings: Buffer;
}

export interface EmbedCallOptions {
  signal?: AbortSignal;
  deadline?: Date;
  metadata?: Metadata;
}

function* requestStream(request: EmbedRemoteRequest): Generator<EmbedRequest> {
  const { pixels } = request;
  const spec: TensorSpec | undefined = pixels
    ? { dtype: pixels.dtype, shape: pixels.shape, byteLength: pixels.bytes.byteLength }
    : undefined;
  const header: EmbedHeader = {
    cacheKey: request.cacheKey ?? '',
    pixelValues: spec,
    outputDtype: request.outputDtype,
  };
  yield { kind: { $case: 'header', value: header } };
  if (pixels)
    for (const chunk of chunkBytes(pixels.bytes)) yield { kind: { $case: 'pixelChunk', value: chunk } };
}

/** Calls VisionService/Embed once: streams the header (and pixels) up, collects the embeddings. */
export async function embedRemote(
  client: VisionServiceClient,
  request: EmbedRemoteRequest,
  opts: EmbedCallOptions = {},
): Promise<RemoteEmbedResult> {
  const call = client.embed(opts.metadata ?? new Metadata(), callOptions(opts.deadline));
  let result: EmbedResult | undefined;
  let embeddings: ChunkAssembler | undefined;
  for await (const response of duplexCall(call, requestStream(request), opts.signal)) {
    const kind = response.kind;
    if (kind?.$case === 'result') {
      result = kind.value;
      embeddings = new ChunkAssembler(result.embeddings?.byteLength ?? 0, 'embeddings');
    } else if (kind?.$case === 'embeddingChunk') {
      if (!embeddings)
        throw new InvalidArgumentError('vision answered embedding bytes before its result header');
      embeddings.push(kind.value);
    }
  }
  if (!result || !embeddings) throw new InvalidArgumentError('vision ended without a result');
  return { result, embeddings: embeddings.finish() };
}

/**
 * Cache first: asks with only `cacheKey` (no pixel transfer, no encoder run on a hit); on
 * NOT_FOUND asks again with the pixels, which `pixels` may produce only then.
 */
export async function embedRemoteCached(
  client: VisionServiceClient,
  cacheKey: string,
  pixels: EmbedPixels | (() => Promise<EmbedPixels>),
  outputDtype: ElementType,
  opts: EmbedCallOptions = {},
): Promise<RemoteEmbedResult> {
  try {
    return await embedRemote(client, { cacheKey, outputDtype }, opts);
  } catch (err) {
    if ((err as Partial<ServiceError>).code !== status.NOT_FOUND) throw err;
  }
  const bytes = typeof pixels === 'function' ? await pixels() : pixels;
  return embedRemote(client, { cacheKey, pixels: bytes, outputDtype }, opts);
}
