import type { PreprocessHeader, PreprocessRequest, PreprocessResponse } from '@internvl/contracts';
import { InvalidArgumentError } from '@internvl/errors';
import { ChunkAssembler, chunkBytes, type CallContext } from '@internvl/service-kit';
import type { PreprocessMetrics } from './preprocess-metrics';
import { dtypeToWire, effectiveOptions, type OptionDefaults } from './preprocess-request';
import type { Preprocessor } from './preprocessor';

export interface PreprocessHandlerDeps {
  preprocessor: Preprocessor;
  defaults: OptionDefaults;
  maxImageBytes: number;
  metrics: PreprocessMetrics;
}

async function readImage(
  requests: AsyncIterable<PreprocessRequest>,
  maxImageBytes: number,
): Promise<{ header: PreprocessHeader; image: Buffer }> {
  let header: PreprocessHeader | undefined;
  let assembler: ChunkAssembler | undefined;
  for await (const request of requests) {
    const kind = request.kind;
    if (!kind)
      throw new InvalidArgumentError(
        'empty PreprocessRequest: each message must carry a header or an image_chunk',
      );
    if (kind.$case === 'header') {
      if (header) throw new InvalidArgumentError('PreprocessRequest header sent twice; send it once, first');
      header = kind.value;
      if (header.imageByteLength <= 0)
        throw new InvalidArgumentError(
          'header.image_byte_length must be the encoded image size (> 0); the image is empty',
        );
      assembler = new ChunkAssembler(
        header.imageByteLength,
        'image',
        maxImageBytes,
        '--max-image-bytes (INTERNVL_PREPROCESS_MAX_IMAGE_BYTES)',
      );
    } else {
      if (!assembler)
        throw new InvalidArgumentError('image_chunk before the header; send the PreprocessHeader first');
      assembler.push(kind.value);
    }
  }
  if (!header || !assembler)
    throw new InvalidArgumentError('the request stream ended without a PreprocessHeader');
  return { header, image: assembler.finish() };
}

/** PreprocessService/Preprocess: header + image chunks in, result header + pixel chunks (+ tiles) out. */
export async function* handlePreprocess(
  requests: AsyncIterable<PreprocessRequest>,
  ctx: CallContext,
  deps: PreprocessHandlerDeps,
): AsyncGenerator<PreprocessResponse> {
  const started = performance.now();
  const { header, image } = await readImage(requests, deps.maxImageBytes);
  const options = effectiveOptions(header.options, deps.defaults);
  const outcome = await deps.preprocessor.preprocess(image, options, header.returnTiles, ctx.signal);
  deps.metrics.recordImage(outcome.numTiles, performance.now() - started);
  yield {
    kind: {
      $case: 'result',
      value: {
        pixelValues: {
          dtype: dtypeToWire(outcome.dtype),
          shape: outcome.shape,
          byteLength: outcome.pixels.byteLength,
        },
        gridCols: outcome.cols,
        gridRows: outcome.rows,
        numTiles: outcome.numTiles,
        hasThumbnail: outcome.thumbnail,
        contentHash: outcome.contentHash,
        imageWidth: outcome.imageWidth,
        imageHeight: outcome.imageHeight,
        tilesByteLength: outcome.tiles.byteLength,
      },
    },
  };
  for (const chunk of chunkBytes(outcome.pixels)) yield { kind: { $case: 'pixelChunk', value: chunk } };
  for (const chunk of chunkBytes(outcome.tiles)) yield { kind: { $case: 'pixelChunk', value: chunk } };
}
