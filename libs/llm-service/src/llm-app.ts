import {
  LlmServiceService,
  PROTO_FILES,
  PROTO_ROOT,
  type GenerateRequest,
  type GenerateResponse,
} from '@internvl/contracts';
import { totalmem } from 'node:os';
import { bidiStreaming, envName, flagName, unary, type ServiceApp } from '@internvl/service-kit';
import { llmSchema } from './llm-config';
import { handleGenerate, handleGetLlmInfo, handleRenderPrompt, type LlmHandlerDeps } from './llm-handler';
import { LlmMetrics } from './llm-metrics';
import { LlmModel } from './llm-model';
import { BatchScheduler } from './scheduler/batch-scheduler';
import { KvAdmission } from './kv-cache/kv-admission';
import type { StepModel } from './engine/step-model';

/** The live parts of a started llm tier (tests and benchmarks read them). */
export interface LlmRuntime {
  model: LlmModel;
  scheduler: BatchScheduler;
}

export interface LlmAppHooks {
  /** Called once the model is loaded and warmed up, before the tier reports SERVING. */
  onReady?(runtime: LlmRuntime): void;
  /** Wraps the decoder the scheduler drives (tests script the logits through it). */
  wrapModel?(model: StepModel): StepModel;
}

const option = (key: string) => `${flagName(key)} (${envName('llm', key)})`;

/** An llm tier app; `hooks.onReady` hands out its runtime (tests, benchmarks). */
export function createLlmApp(hooks: LlmAppHooks = {}): ServiceApp<typeof llmSchema> {
  return {
    name: 'llm',
    description:
      'internvl serve llm — renders InternVL prompts, places image embeddings and streams generated tokens (KV cache, continuous batching).',
    defaultPort: 50053,
    defaultMetricsPort: 9453,
    schema: llmSchema,
    reflection: { root: PROTO_ROOT, files: PROTO_FILES },
    async setup(host, config, log) {
      const started = performance.now();
      const model = await LlmModel.load(config.model, {
        provider: config.provider as 'cpu' | 'cuda',
        deviceId: config.device_id,
        requireGpu: config.require_gpu,
        intraOpThreads: config.intra_op_threads,
        kvCacheBytes: config.kv_cache_bytes || Math.floor(totalmem() * 0.3),
        kvBlockTokens: config.kv_block_tokens,
        prefixCaching: config.prefix_caching,
        maxActive: config.max_active_sequences,
        warn: (message) => log.warn(message),
      });
      // A one-token prefill so the first request does not pay for ORT's lazy initialization.
      const bos = model.manifest.tokens.bos;
      await model.engine.prefill(0, { inputIds: Int32Array.of(bos, bos) }, 2);
      model.engine.free([0]);
      log.info(
        {
          model: model.name,
          precision: model.manifest.precision,
          template: model.template.name,
          provider: model.engine.provider,
          maxContextTokens: model.maxContextTokens,
          kvCacheBytes: model.engine.kvBudgetBytes,
          prefixCaching: config.prefix_caching,
          loadMs: Math.round(performance.now() - started),
        },
        `llm model loaded on ${model.engine.provider}`,
      );
      const scheduler: BatchScheduler = new BatchScheduler({
        model: hooks.wrapModel ? hooks.wrapModel(model.engine) : model.engine,
        maxActive: config.max_active_sequences,
        maxQueue: config.max_queue,
        prefillChunkTokens: config.prefill_chunk_tokens,
        queueLimitHint: option('max_queue'),
        admission: new KvAdmission(model.engine.kvBudgetBytes, model.engine.kvBytesPerPosition),
        kvLimitHint: option('kv_cache_bytes'),
        observer: new LlmMetrics({
          activeSequences: () => scheduler.activeCount,
          queuedSequences: () => scheduler.queuedCount,
          kv: () => model.engine.kv,
        }),
      });
      const deps: LlmHandlerDeps = {
        model,
        scheduler,
        limits: {
          defaultMaxNewTokens: config.default_max_new_tokens,
          maxNewTokensLimit: config.max_new_tokens_limit,
          maxStopStrings: config.max_stop_strings,
        },
        maxActiveSequences: config.max_active_sequences,
        allowSpecialTokens: config.allow_special_tokens,
      };
      host.addService('internvl.v1.LlmService', LlmServiceService, {
        generate: bidiStreaming<GenerateRequest, GenerateResponse>(host.env, 'generate', (requests, ctx) =>
          handleGenerate(requests, ctx, deps),
        ),
        renderPrompt: unary(host.env, 'renderPrompt', (request) => handleRenderPrompt(request, deps)),
        getLlmInfo: unary(host.env, 'getLlmInfo', (request) => handleGetLlmInfo(request, deps)),
      });
      hooks.onReady?.({ model, scheduler });
      return {
        close: async () => {
          await scheduler.close();
          await model.release();
        },
      };
    },
  };
}

/** The llm tier: conversation + image embeddings → streamed tokens. */
export const llmApp = createLlmApp();
