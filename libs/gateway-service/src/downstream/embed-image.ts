import type { Context } from '@opentelemetry/api';
import { ElementType, type VisionServiceClient } from '@internvl/contracts';
import type { RemotePreprocessResult } from '@internvl/preprocess-service';
import {
  embedRemote,
  embedRemoteCached,
  type EmbedPixels,
  type RemoteEmbedResult,
} from '@internvl/vision-service';
import { hopError } from './hop-error';
import { GATEWAY_ATTR, inHopSpan } from './hop-span';
import type { HopOptions, Tier } from './tier';

// The llm takes fp16 or fp32 embeddings; fp16 halves the bytes of the vision → llm hop.
const EMBEDDING_DTYPE = ElementType.ELEMENT_TYPE_FLOAT16;

/**
 * VisionService/Embed for one preprocessed image, in a 'gateway.vision' span: asks by the
 * preprocess content hash first and sends the pixels only on a cache miss.
 */
export function embedImage(
  tier: Tier<VisionServiceClient>,
  preprocessed: RemotePreprocessResult,
  label: string,
  hop: HopOptions,
  parent: Context,
): Promise<RemoteEmbedResult> {
  const { result, pixelValues } = preprocessed;
  const pixels: EmbedPixels = {
    bytes: pixelValues,
    shape: result.pixelValues?.shape ?? [],
    dtype: result.pixelValues?.dtype ?? ElementType.ELEMENT_TYPE_UNSPECIFIED,
  };
  const attributes = { [GATEWAY_ATTR.image]: label, [GATEWAY_ATTR.tiles]: result.numTiles };
  return inHopSpan('gateway.vision', parent, attributes, async (span) => {
    try {
      const embedded = result.contentHash
        ? await embedRemoteCached(tier.client, result.contentHash, pixels, EMBEDDING_DTYPE, hop)
        : await embedRemote(tier.client, { pixels, outputDtype: EMBEDDING_DTYPE }, hop);
      span.setAttribute(GATEWAY_ATTR.cacheHit, embedded.result.cacheHit);
      return embedded;
    } catch (err) {
      throw hopError(err, tier, label);
    }
  });
}
