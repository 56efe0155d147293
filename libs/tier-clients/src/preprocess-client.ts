import {
  PREPROCESS_REQUEST_STREAM,
  PREPROCESS_RESPONSE_STREAM,
  type PreprocessHeader,
  type PreprocessResult,
  type PreprocessServiceClient,
} from '@internvl/contracts';
import type { TierCallOptions } from './call-options';
import { chunkedCall } from './chunked-call';

export interface RemotePreprocessResult {
  result: PreprocessResult;
  /** pixel_values bytes as described by result.pixelValues. */
  pixelValues: Buffer;
  /** uint8 RGB tiles (HWC) concatenated, when return_tiles was asked. */
  tiles: Buffer;
}

/** Calls PreprocessService/Preprocess: streams the image up, collects pixel_values (and tiles). */
export async function preprocessRemote(
  client: PreprocessServiceClient,
  image: Uint8Array,
  header: Omit<PreprocessHeader, 'imageByteLength'>,
  opts: TierCallOptions = {},
): Promise<RemotePreprocessResult> {
  // pixel_values and the tiles follow the result as one run of chunks: one buffer, split after.
  const { result, bytes } = await chunkedCall(
    (md, o) => client.preprocess(md, o),
    {
      request: {
        shape: PREPROCESS_REQUEST_STREAM,
        header: { ...header, imageByteLength: image.byteLength },
        payloads: [image],
      },
      response: {
        shape: PREPROCESS_RESPONSE_STREAM,
        byteLength: (r) => (r.pixelValues?.byteLength ?? 0) + r.tilesByteLength,
        what: 'pixel_values and tiles',
      },
    },
    opts,
  );
  const pixelBytes = result.pixelValues?.byteLength ?? 0;
  return { result, pixelValues: bytes.subarray(0, pixelBytes), tiles: bytes.subarray(pixelBytes) };
}
