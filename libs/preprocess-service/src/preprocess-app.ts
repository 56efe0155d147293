import {
  PROTO_FILES,
  PROTO_ROOT,
  PreprocessServiceService,
  type PreprocessRequest,
  type PreprocessResponse,
} from '@internvl/contracts';
import { floatTypeFromFlag } from '@internvl/float-formats';
import { bidiStreaming, type ServiceApp } from '@internvl/service-kit';
import { preprocessSchema } from './preprocess-config';
import { handlePreprocess } from './preprocess-handler';
import { PreprocessMetrics } from './preprocess-metrics';
import { Preprocessor } from './preprocessor';

/** The preprocess tier: image bytes → InternVL tiles → normalized pixel_values. */
export const preprocessApp: ServiceApp<typeof preprocessSchema> = {
  name: 'preprocess',
  description:
    'internvl serve preprocess — decodes images and tiles and normalizes them exactly as InternVL does.',
  defaultPort: 50051,
  defaultMetricsPort: 9451,
  schema: preprocessSchema,
  reflection: { root: PROTO_ROOT, files: PROTO_FILES },
  async setup(host, config) {
    const preprocessor = new Preprocessor({
      limits: { maxEncodedBytes: config.max_image_bytes, maxPixels: config.max_image_pixels },
      workers: config.workers,
      maxQueue: config.max_queue,
      queueLimitHint: '--max-queue (INTERNVL_PREPROCESS_MAX_QUEUE) or add replicas',
      workerMaxMemoryMb: config.worker_max_memory_mb,
    });
    const deps = {
      preprocessor,
      defaults: {
        minTiles: config.default_min_tiles,
        maxTiles: config.default_max_tiles,
        imageSize: config.image_size,
        maxImageSize: config.max_image_size,
        dtype: floatTypeFromFlag(config.default_dtype),
      },
      maxImageBytes: config.max_image_bytes,
      metrics: new PreprocessMetrics(() => preprocessor.queueDepth),
    };
    host.addService('internvl.v1.PreprocessService', PreprocessServiceService, {
      preprocess: bidiStreaming<PreprocessRequest, PreprocessResponse>(
        host.env,
        'preprocess',
        (requests, ctx) => handlePreprocess(requests, ctx, deps),
      ),
    });
    return { close: () => preprocessor.close() };
  },
};
