import type { Context } from '@opentelemetry/api';
import type { PreprocessServiceClient, TilingOptions } from '@internvl/contracts';
import { SPAN_ATTR, SPAN_NAME } from '@internvl/service-kit';
import { preprocessRemote, withFailover, type RemotePreprocessResult } from '@internvl/tier-clients';
import { hopError } from './hop-error';
import { inHopSpan } from './hop-span';
import type { HopOptions, Tier } from './tier';

/** One image of a chat on its way to the preprocess tier. */
export interface ChatImage {
  /** Encoded image bytes. */
  data: Uint8Array;
  tiling: TilingOptions;
  /** Where the image is in the chat, for error messages: "image 2 (message 1, part 3)". */
  label: string;
}

/**
 * PreprocessService/Preprocess for one image, in a 'gateway.preprocess' span: on the replicas in
 * turn, retried once on another replica when one is down or full (preprocessing is idempotent).
 */
export function preprocessImage(
  tier: Tier<PreprocessServiceClient>,
  image: ChatImage,
  hop: HopOptions,
  parent: Context,
): Promise<RemotePreprocessResult> {
  const attributes = { [SPAN_ATTR.gateway.image]: image.label };
  return inHopSpan(SPAN_NAME.gateway.preprocess, parent, attributes, async (span) => {
    try {
      const preprocessed = await withFailover(tier.replicas.candidates(), (replica) =>
        preprocessRemote(replica.client, image.data, { options: image.tiling, returnTiles: false }, hop),
      );
      span.setAttribute(SPAN_ATTR.gateway.tiles, preprocessed.result.numTiles);
      return preprocessed;
    } catch (err) {
      throw hopError(err, tier, image.label);
    }
  });
}
