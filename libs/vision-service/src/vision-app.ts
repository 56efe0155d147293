import {
  PROTO_FILES,
  PROTO_ROOT,
  VisionServiceService,
  type EmbedRequest,
  type EmbedResponse,
} from '@internvl/contracts';
import { floatTypeFromFlag } from '@internvl/float-formats';
import { bidiStreaming, ConfigError, envName, flagName, unary, type ServiceApp } from '@internvl/service-kit';
import { Embedder } from './embedder';
import { visionSchema } from './vision-config';
import { handleEmbed, handleGetVisionInfo, type VisionHandlerDeps } from './vision-handler';
import { VisionMetrics } from './vision-metrics';
import { VisionModel } from './vision-model';

/** The live parts of a started vision tier (tests and benchmarks read runs and batch stats). */
export interface VisionRuntime {
  model: VisionModel;
  embedder: Embedder;
}

export interface VisionAppHooks {
  /** Called once the model is loaded and warmed up, before the tier reports SERVING. */
  onReady?(runtime: VisionRuntime): void;
}

const option = (key: string) => `${flagName(key)} (${envName('vision', key)})`;

/** A vision tier app; `hooks.onReady` hands out its runtime (tests, benchmarks). */
export function createVisionApp(hooks: VisionAppHooks = {}): ServiceApp<typeof visionSchema> {
  return {
    name: 'vision',
    description:
      'internvl serve vision — runs InternViT + pixel shuffle + mlp1 and returns image embeddings (batched, cached).',
    defaultPort: 50052,
    defaultMetricsPort: 9452,
    schema: visionSchema,
    reflection: { root: PROTO_ROOT, files: PROTO_FILES },
    async setup(host, config, log) {
      if (config.max_request_tiles > config.max_queue_tiles) {
        throw new ConfigError(
          `${option('max_request_tiles')} is ${config.max_request_tiles}, above ${option('max_queue_tiles')} ${config.max_queue_tiles}: such a request could never be queued`,
        );
      }
      const model = await VisionModel.load({
        dir: config.model,
        provider: config.provider as 'cpu' | 'cuda',
        deviceId: config.device_id,
        requireGpu: config.require_gpu,
        intraOpThreads: config.intra_op_threads,
        warn: (message) => log.warn(message),
      });
      const warmUp = performance.now();
      await model.warmUp();
      log.info(
        {
          model: model.name,
          dtype: model.dtype,
          provider: model.provider,
          warmUpMs: Math.round(performance.now() - warmUp),
        },
        `vision model loaded on ${model.provider}`,
      );
      const embedder: Embedder = new Embedder({
        model,
        maxBatchTiles: config.max_batch_tiles,
        maxWaitMs: config.max_wait_ms,
        maxQueueTiles: config.max_queue_tiles,
        queueLimitHint: option('max_queue_tiles'),
        cacheBytes: config.cache_bytes,
        metrics: new VisionMetrics({
          queuedTiles: () => embedder.batcher.queuedTiles,
          cacheBytes: () => embedder.cache.byteSize,
          cacheEntries: () => embedder.cache.size,
        }),
      });
      const deps: VisionHandlerDeps = {
        model,
        embedder,
        limits: {
          imageSize: model.imageSize,
          maxRequestTiles: config.max_request_tiles,
          maxRequestTilesHint: option('max_request_tiles'),
        },
        defaultOutputType: floatTypeFromFlag(config.default_output_dtype),
        maxBatchTiles: config.max_batch_tiles,
      };
      host.addService('internvl.v1.VisionService', VisionServiceService, {
        embed: bidiStreaming<EmbedRequest, EmbedResponse>(host.env, 'embed', (requests, ctx) =>
          handleEmbed(requests, ctx, deps),
        ),
        getVisionInfo: unary(host.env, 'getVisionInfo', (request) => handleGetVisionInfo(request, deps)),
      });
      hooks.onReady?.({ model, embedder });
      return {
        close: async () => {
          await embedder.close();
          await model.release();
        },
      };
    },
  };
}

/** The vision tier: pixel_values → InternViT + pixel shuffle + mlp1 → image embeddings. */
export const visionApp = createVisionApp();
