import {
  floatTypeToWire,
  PREPROCESS_REQUEST_STREAM,
  PREPROCESS_RESPONSE_STREAM,
  type PreprocessHeader,
  type PreprocessRequest,
  type PreprocessResponse,
  type PreprocessResult,
} from '@internvl/contracts';
import { InvalidArgumentError } from '@internvl/errors';
import {
  ChunkAssembler,
  readChunkedStream,
  writeChunkedStream,
  type CallContext,
} from '@internvl/service-kit';
import type { PreprocessMetrics } from './preprocess-metrics';
import { effectiveOptions, type OptionDefaults } from './preprocess-request';
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
  const { header, payload } = await readChunkedStream(requests, PREPROCESS_REQUEST_STREAM, (h) => {
    if (h.imageByteLength <= 0)
      throw new InvalidArgumentError(
        'header.image_byte_length must be the encoded image size (> 0); the image is empty',
      );
    return new ChunkAssembler(
      h.imageByteLength,
      'image',
      maxImageBytes,
      '--max-image-bytes (INTERNVL_PREPROCESS_MAX_IMAGE_BYTES)',
    );
  });
  return { header, image: payload! };
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
  const result: PreprocessResult = {
    pixelValues: {
      dtype: floatTypeToWire(outcome.dtype),
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
  };
  yield* writeChunkedStream(PREPROCESS_RESPONSE_STREAM, result, [outcome.pixels, outcome.tiles]);
}
