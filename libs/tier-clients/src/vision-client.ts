import { status, type ServiceError } from '@grpc/grpc-js';
import {
  EMBED_REQUEST_STREAM,
  EMBED_RESPONSE_STREAM,
  type ElementType,
  type EmbedResult,
  type VisionServiceClient,
} from '@internvl/contracts';
import type { TierCallOptions } from './call-options';
import { chunkedCall } from './chunked-call';

/** pixel_values to send: raw little-endian bytes with their shape and element type. */
export interface EmbedPixels {
  bytes: Uint8Array;
  /** [tiles, 3, 448, 448]. */
  shape: number[];
  dtype: ElementType;
}

export interface EmbedRemoteRequest {
  /** The image's cache key (see imageCacheKey); looks up and fills the tier's embedding cache. */
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

/** Calls VisionService/Embed once: streams the header (and pixels) up, collects the embeddings. */
export async function embedRemote(
  client: VisionServiceClient,
  request: EmbedRemoteRequest,
  opts: TierCallOptions = {},
): Promise<RemoteEmbedResult> {
  const { pixels } = request;
  const { result, bytes } = await chunkedCall(
    (md, o) => client.embed(md, o),
    {
      request: {
        shape: EMBED_REQUEST_STREAM,
        header: {
          cacheKey: request.cacheKey ?? '',
          pixelValues: pixels && {
            dtype: pixels.dtype,
            shape: pixels.shape,
            byteLength: pixels.bytes.byteLength,
          },
          outputDtype: request.outputDtype,
        },
        payloads: pixels ? [pixels.bytes] : [],
      },
      response: {
        shape: EMBED_RESPONSE_STREAM,
        byteLength: (r) => r.embeddings?.byteLength ?? 0,
        what: 'embeddings',
      },
    },
    opts,
  );
  return { result, embeddings: bytes };
}

/**
 * Asks the tier's embedding cache by key alone: no pixels cross the wire and no encoder runs.
 * Undefined on a miss (the tier answers NOT_FOUND); other failures throw.
 */
export async function probeEmbedding(
  client: VisionServiceClient,
  cacheKey: string,
  outputDtype: ElementType,
  opts: TierCallOptions = {},
): Promise<RemoteEmbedResult | undefined> {
  try {
    return await embedRemote(client, { cacheKey, outputDtype }, opts);
  } catch (err) {
    if ((err as Partial<ServiceError>).code === status.NOT_FOUND) return undefined;
    throw err;
  }
}

/**
 * Cache first: asks with only `cacheKey`; on a miss asks again with the pixels, which `pixels`
 * may produce only then.
 */
export async function embedRemoteCached(
  client: VisionServiceClient,
  cacheKey: string,
  pixels: EmbedPixels | (() => Promise<EmbedPixels>),
  outputDtype: ElementType,
  opts: TierCallOptions = {},
): Promise<RemoteEmbedResult> {
  const cached = await probeEmbedding(client, cacheKey, outputDtype, opts);
  if (cached) return cached;
  const bytes = typeof pixels === 'function' ? await pixels() : pixels;
  return embedRemote(client, { cacheKey, pixels: bytes, outputDtype }, opts);
}
