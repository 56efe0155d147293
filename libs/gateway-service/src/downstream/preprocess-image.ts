import type { Context } from '@opentelemetry/api';
import type { PreprocessServiceClient, TilingOptions } from '@internvl/contracts';
import { preprocessRemote, type RemotePreprocessResult } from '@internvl/preprocess-service';
import { hopError } from './hop-error';
import { GATEWAY_ATTR, inHopSpan } from './hop-span';
import type { HopOptions, Tier } from './tier';

/** One image of a chat on its way to the preprocess tier. */
export interface ChatImage {
  /** Encoded image bytes. */
  data: Uint8Array;
  tiling: TilingOptions;
  /** Where the image is in the chat, for error messages: "image 2 (message 1, part 3)". */
  label: string;
}

/** PreprocessService/Preprocess for one image, in a 'gateway.preprocess' span. */
export function preprocessImage(
  tier: Tier<PreprocessServiceClient>,
  image: ChatImage,
  hop: HopOptions,
  parent: Context,
): Promise<RemotePreprocessResult> {
  return inHopSpan('gateway.preprocess', parent, { [GATEWAY_ATTR.image]: image.label }, async (span) => {
    try {
      const preprocessed = await preprocessRemote(
        tier.client,
        image.data,
        { options: image.tiling, returnTiles: false },
        hop,
      );
      span.setAttribute(GATEWAY_ATTR.tiles, preprocessed.result.numTiles);
      return preprocessed;
    } catch (err) {
      throw hopError(err, tier, image.label);
    }
  });
}
