import { Metadata } from '@grpc/grpc-js';
import type {
  PreprocessHeader,
  PreprocessRequest,
  PreprocessResult,
  PreprocessServiceClient,
} from '@internvl/contracts';
import { InvalidArgumentError } from '@internvl/errors';
import { callOptions, ChunkAssembler, chunkBytes, duplexCall } from '@internvl/service-kit';

export interface RemotePreprocessResult {
  result: PreprocessResult;
  /** pixel_values bytes as described by result.pixelValues. */
  pixelValues: Buffer;
  /** uint8 RGB tiles (HWC) concatenated, when return_tiles was asked. */
  tiles: Buffer;
}

function* requestStream(
  image: Uint8Array,
  header: Omit<PreprocessHeader, 'imageByteLength'>,
): Generator<PreprocessRequest> {
  yield { kind: { $case: 'header', value: { ...header, imageByteLength: image.byteLength } } };
  for (const chunk of chunkBytes(image)) yield { kind: { $case: 'imageChunk', value: chunk } };
}

/** Calls PreprocessService/Preprocess: streams the image up, collects pixel_values (and tiles). */
export async function preprocessRemote(
  client: PreprocessServiceClient,
  image: Uint8Array,
  header: Omit<PreprocessHeader, 'imageByteLength'>,
  opts: { signal?: AbortSignal; deadline?: Date; metadata?: Metadata } = {},
): Promise<RemotePreprocessResult> {
  const call = client.preprocess(opts.metadata ?? new Metadata(), callOptions(opts.deadline));
  let result: PreprocessResult | undefined;
  let pixels: ChunkAssembler | undefined;
  let tiles: ChunkAssembler | undefined;
  for await (const response of duplexCall(call, requestStream(image, header), opts.signal)) {
    const kind = response.kind;
    if (kind?.$case === 'result') {
      result = kind.value;
      pixels = new ChunkAssembler(result.pixelValues?.byteLength ?? 0, 'pixel_values');
      tiles = new ChunkAssembler(result.tilesByteLength, 'tiles');
    } else if (kind?.$case === 'pixelChunk') {
      if (!pixels || !tiles)
        throw new InvalidArgumentError('preprocess answered pixel bytes before its result header');
      const target = pixels.receivedBytes < pixels.expectedBytes ? pixels : tiles;
      target.push(kind.value);
    }
  }
  if (!result || !pixels || !tiles) throw new InvalidArgumentError('preprocess ended without a result');
  return { result, pixelValues: pixels.finish(), tiles: tiles.finish() };
}
