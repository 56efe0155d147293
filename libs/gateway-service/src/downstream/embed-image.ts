import type { Context } from '@opentelemetry/api';
import { ElementType, type VisionServiceClient } from '@internvl/contracts';
import { SPAN_ATTR, SPAN_NAME } from '@internvl/service-kit';
import {
  embedRemote,
  probeEmbedding,
  withFailover,
  type RemoteEmbedResult,
  type RemotePreprocessResult,
} from '@internvl/tier-clients';
import { hopError } from './hop-error';
import { inHopSpan } from './hop-span';
import type { HopOptions, Tier } from './tier';

// The llm takes fp16 or fp32 embeddings; fp16 halves the bytes of the vision → llm hop.
const EMBEDDING_DTYPE = ElementType.ELEMENT_TYPE_FLOAT16;

/**
 * Asks the vision tier's embedding cache for an image by its key alone, in a
 * 'gateway.embedding_lookup' span: a hit means the image needs no preprocessing and no pixel
 * transfer. Undefined on a miss. `route` picks the replica (the image's key keeps an image on the
 * replica that cached it; undefined goes in turn); a replica down or full passes the call on.
 */
export function lookupImage(
  tier: Tier<VisionServiceClient>,
  cacheKey: string,
  route: string | undefined,
  label: string,
  hop: HopOptions,
  parent: Context,
): Promise<RemoteEmbedResult | undefined> {
  const attributes = { [SPAN_ATTR.gateway.image]: label };
  return inHopSpan(SPAN_NAME.gateway.embeddingLookup, parent, attributes, async (span) => {
    try {
      const found = await withFailover(tier.replicas.candidates(route), (replica) =>
        probeEmbedding(replica.client, cacheKey, EMBEDDING_DTYPE, hop),
      );
      span.setAttribute(SPAN_ATTR.vision.cacheHit, found !== undefined);
      if (found) span.setAttribute(SPAN_ATTR.gateway.tiles, found.result.numTiles);
      return found;
    } catch (err) {
      throw hopError(err, tier, label);
    }
  });
}

/**
 * VisionService/Embed for one preprocessed image, in a 'gateway.vision' span, filling the
 * tier's cache under `cacheKey` (the key the gateway computed, or the preprocess content hash)
 * on the replica `route` picks; an embed is idempotent, so a replica down or full passes it on.
 */
export function embedImage(
  tier: Tier<VisionServiceClient>,
  preprocessed: RemotePreprocessResult,
  cacheKey: string,
  route: string | undefined,
  label: string,
  hop: HopOptions,
  parent: Context,
): Promise<RemoteEmbedResult> {
  const { result, pixelValues } = preprocessed;
  const pixels = {
    bytes: pixelValues,
    shape: result.pixelValues?.shape ?? [],
    dtype: result.pixelValues?.dtype ?? ElementType.ELEMENT_TYPE_UNSPECIFIED,
  };
  const attributes = { [SPAN_ATTR.gateway.image]: label, [SPAN_ATTR.gateway.tiles]: result.numTiles };
  return inHopSpan(SPAN_NAME.gateway.vision, parent, attributes, async (span) => {
    try {
      const embedded = await withFailover(tier.replicas.candidates(route), (replica) =>
        embedRemote(replica.client, { cacheKey, pixels, outputDtype: EMBEDDING_DTYPE }, hop),
      );
      span.setAttribute(SPAN_ATTR.vision.cacheHit, embedded.result.cacheHit);
      return embedded;
    } catch (err) {
      throw hopError(err, tier, label);
    }
  });
}
