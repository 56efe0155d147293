import { readFileSync } from 'node:fs';
import { ChatServiceService, PROTO_FILES, PROTO_ROOT } from '@internvl/contracts';
import { ConfigError, type Logger, type ServiceApp } from '@internvl/service-kit';
import { readApiKeys } from './auth/api-keys';
import { batchConcurrency } from './chat/batch-chat';
import { chatServiceHandlers } from './chat/chat-handlers';
import { ChatOrchestrator } from './chat/chat-orchestrator';
import { closeTiers, createTiers } from './downstream/create-tiers';
import { askLlmModelName } from './downstream/llm-model-name';
import { TierHealthWatcher } from './downstream/tier-health';
import { gatewayOption, gatewaySchema } from './gateway-config';
import { GatewayMetrics } from './gateway-metrics';
import { startOpenAiServer } from './openai/openai-server';
import { loadPlaygroundAssets, type PlaygroundAssets } from './openai/playground-route';

/** The HTTP API's model id when neither model_name nor the llm tier gives one. */
const FALLBACK_MODEL_NAME = 'internvl';

/** What a started gateway tells its hooks (tests read the HTTP port). */
export interface GatewayRuntime {
  httpPort: number;
  /** The model id of the HTTP API. */
  modelName: string;
}

export interface GatewayAppHooks {
  /** Called once the HTTP API listens, before the tier reports SERVING. */
  onReady?(runtime: GatewayRuntime): void;
}

/** A gateway tier app; `hooks.onReady` hands out its runtime (tests). */
export function createGatewayApp(hooks: GatewayAppHooks = {}): ServiceApp<typeof gatewaySchema> {
  return {
    name: 'gateway',
    description:
      'internvl serve gateway — the public chat API (gRPC ChatService and OpenAI-compatible HTTP) that orchestrates preprocess, vision and llm.',
    defaultPort: 50050,
    defaultMetricsPort: 9450,
    schema: gatewaySchema,
    reflection: { root: PROTO_ROOT, files: PROTO_FILES },
    async setup(host, config, log) {
      const apiKeys = readApiKeys(config.api_keys, config.api_keys_file);
      const { http_headers_timeout_ms: headersMs, http_request_timeout_ms: requestMs } = config;
      if (requestMs > 0 && headersMs > requestMs)
        throw new ConfigError(
          `${gatewayOption('http_headers_timeout_ms')} (${headersMs}) must not exceed ${gatewayOption('http_request_timeout_ms')} (${requestMs})`,
        );
      const tls =
        config.tls_cert_file && config.tls_key_file
          ? {
              cert: readFileSync(config.tls_cert_file),
              key: readFileSync(config.tls_key_file),
              // Mutual TLS covers both public ports, as the server certificate does.
              ...(config.tls_client_ca_file && { clientCa: readFileSync(config.tls_client_ca_file) }),
            }
          : undefined;
      const tiers = createTiers(config, log);
      // Readiness: ChatService health and GET /ready follow the tiers' health ('' stays liveness).
      const watcher = new TierHealthWatcher(tiers, {
        intervalMs: config.downstream_health_interval_ms,
        log,
        onChange: ({ ready }) => host.setServiceReady('internvl.v1.ChatService', ready),
      });
      host.setServiceReady('internvl.v1.ChatService', false);
      watcher.start();
      try {
        const limits = {
          maxImages: config.max_images,
          maxTotalTiles: config.max_total_tiles,
          defaultMaxTiles: config.default_max_tiles,
        };
        const engine = new ChatOrchestrator({
          tiers,
          limits,
          defaultTimeoutMs: config.default_timeout_ms,
          imageCacheLookup: config.image_cache_lookup,
          replicaAffinity: config.replica_affinity,
        });
        const metrics = new GatewayMetrics();
        host.addService(
          'internvl.v1.ChatService',
          ChatServiceService,
          chatServiceHandlers(host.env, engine, {
            apiKeys,
            maxBatchInputs: config.max_batch_inputs,
            batchConcurrency: batchConcurrency(config.batch_concurrency, config.max_images),
            metrics,
          }),
        );
        log.info(
          {
            preprocess: tiers.preprocess.address,
            vision: tiers.vision.address,
            llm: tiers.llm.address,
            apiKeys: apiKeys.length,
          },
          apiKeys.length > 0
            ? 'chat API requires API keys'
            : 'chat API without authentication (no API keys set)',
        );
        const modelName =
          config.model_name ||
          (await askLlmModelName(tiers.llm, config.model_name_wait_ms, log)) ||
          FALLBACK_MODEL_NAME;
        const http = await startOpenAiServer({
          engine,
          host: config.http_host,
          port: config.http_port,
          modelName,
          apiKeys,
          maxBodyBytes: config.max_body_bytes,
          maxImages: config.max_images,
          remoteImageHosts: config.remote_image_hosts,
          defaultMaxTiles: config.default_max_tiles,
          tls,
          headersTimeoutMs: headersMs,
          requestTimeoutMs: requestMs,
          maxConnections: config.http_max_connections,
          readiness: () => watcher.readiness,
          metrics,
          playground: config.playground ? playgroundAssets(log) : undefined,
          log,
        });
        const scheme = tls ? 'https' : 'http';
        log.info(
          { httpPort: http.port, model: modelName },
          `openai http listening on ${scheme}://${config.http_host}:${http.port}`,
        );
        if (config.playground) {
          // A wildcard bind is reachable on loopback: print a URL a browser can open.
          const host = ['0.0.0.0', '::', ''].includes(config.http_host) ? '127.0.0.1' : config.http_host;
          const url = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${http.port}/`;
          log.info({ url }, `playground at ${url}`);
        }
        hooks.onReady?.({ httpPort: http.port, modelName });
        return {
          // With the gRPC drain: the HTTP listener closes and in-flight streams may finish.
          drain: (force) => (force ? http.close() : http.drain(config.shutdown_timeout_ms)),
          close: async () => {
            try {
              await http.close();
            } finally {
              watcher.stop();
              closeTiers(tiers);
            }
          },
        };
      } catch (err) {
        watcher.stop();
        closeTiers(tiers);
        throw err;
      }
    },
  };
}

/** The playground's built files; without them the API still serves, and the log says why. */
function playgroundAssets(log: Logger): PlaygroundAssets | undefined {
  try {
    return loadPlaygroundAssets();
  } catch (err) {
    log.warn({ err }, 'playground not served: its files cannot be read (--no-playground silences this)');
    return undefined;
  }
}

/** The gateway tier: the public chat API (gRPC ChatService and OpenAI-compatible HTTP) over preprocess, vision and llm. */
export const gatewayApp = createGatewayApp();
