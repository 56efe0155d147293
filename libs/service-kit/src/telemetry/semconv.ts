/**
 * Every telemetry name the tiers emit, in one place: instrumentation scopes, span names, span
 * attribute keys, metric instrument names, metric attribute keys and their fixed values.
 *
 * Names follow the OpenTelemetry GenAI semantic conventions (`gen_ai.*`,
 * https://opentelemetry.io/docs/specs/semconv/gen-ai/) and the HTTP ones (`http.*`, `url.*`)
 * where they define one; everything else is `internvl.<tier>.*`. Prometheus shows a name as the
 * OpenTelemetry Prometheus compatibility spec asks: dots as underscores, the unit as a suffix
 * (`s` → `_seconds`, `By` → `_bytes`, `1` on a gauge → `_ratio`; `{token}`-style units add
 * nothing), then `_total` on counters (`gen_ai.server.time_to_first_token` →
 * `gen_ai_server_time_to_first_token_seconds`, `internvl.llm.sequences` →
 * `internvl_llm_sequences_total`). {@link PROMETHEUS_NAME} lists those names: dashboards, alerts,
 * the README and `test/` read them, so an exported name changes only on purpose.
 */

/** Instrumentation scope of each tier's tracer and meter (`trace.getTracer`, `metrics.getMeter`). */
export const SCOPE_NAME = {
  gateway: 'internvl.gateway',
  preprocess: 'internvl.preprocess',
  vision: 'internvl.vision',
  llm: 'internvl.llm',
} as const;

/**
 * Span names, `<tier>.<step>`. The gateway's HTTP server span is named `{method} {path}` as the
 * HTTP conventions ask, and gRPC spans come from the gRPC instrumentation.
 */
export const SPAN_NAME = {
  gateway: {
    /** One chat, from validation to the llm's last event. */
    chat: 'gateway.chat',
    /** The PreprocessService/Preprocess hop of one image. */
    preprocess: 'gateway.preprocess',
    /** The vision cache asked by the gateway's key before preprocessing (a hit skips the rest). */
    embeddingLookup: 'gateway.embedding_lookup',
    /** The VisionService/Embed hop that sends one image's pixels. */
    vision: 'gateway.vision',
    /** The LlmService/Generate hop. */
    llm: 'gateway.llm',
  },
  vision: {
    /** One request waiting in the batch queue. */
    queue: 'vision.queue',
    /** The model run of the batch that took the request. */
    run: 'vision.run',
  },
  llm: {
    /** One sequence's prompt going into the KV cache (from admission to its first token). */
    prefill: 'llm.prefill',
    /** One sequence's decode steps (from its first token to its finish). */
    decode: 'llm.decode',
  },
} as const;

/** Span attribute keys. */
export const SPAN_ATTR = {
  genAi: {
    /** Prompt tokens, cached ones included (int). */
    usageInputTokens: 'gen_ai.usage.input_tokens',
    /** Generated tokens (int). */
    usageOutputTokens: 'gen_ai.usage.output_tokens',
    /** Prompt tokens taken from the prefix cache instead of computed (int). */
    usageCacheReadInputTokens: 'gen_ai.usage.cache_read.input_tokens',
    /** Why generation stopped, one per choice (string[]). */
    responseFinishReasons: 'gen_ai.response.finish_reasons',
  },
  http: {
    requestMethod: 'http.request.method',
    urlPath: 'url.path',
    responseStatusCode: 'http.response.status_code',
  },
  gateway: {
    /** Images in the chat, or sent to the llm (int). */
    images: 'internvl.gateway.images',
    /** Which image of the chat a hop is for: "image 2 (message 1, part 3)". */
    image: 'internvl.gateway.image',
    /** Tiles of the hop's image (int). */
    tiles: 'internvl.gateway.tiles',
  },
  vision: {
    /** The embeddings came from the vision tier's cache (bool; set by the gateway's vision hop). */
    cacheHit: 'internvl.vision.cache_hit',
    /** Tiles of the request (int). */
    tiles: 'internvl.vision.tiles',
    /** Time the request waited for its batch (ms). */
    queueWaitMs: 'internvl.vision.queue.wait_ms',
    /** Tiles in the model run (int). */
    batchTiles: 'internvl.vision.batch.tiles',
    /** Requests sharing the model run (int). */
    batchRequests: 'internvl.vision.batch.requests',
  },
} as const;

/**
 * Metric instrument names; the unit and description stay at the creation site
 * (`*-metrics.ts` of each tier). Each line says the instrument kind and unit; every duration is
 * in seconds (unit `s`), as the GenAI conventions ask.
 */
export const METRIC_NAME = {
  gateway: {
    /** Counter: requests answered, by route and status (gRPC code or HTTP status). */
    requests: 'internvl.gateway.requests',
    /** Histogram, s: request arrival to its last byte, by route and status. */
    requestDuration: 'internvl.gateway.request.duration',
    /**
     * Histogram, s: request arrival to the first generated text written to the client, by route
     * (streamed answers: StreamChat and `stream: true`); TTFT as the client sees it.
     */
    timeToFirstToken: 'internvl.gateway.time_to_first_token',
  },
  preprocess: {
    /** Counter: images preprocessed. */
    images: 'internvl.preprocess.images',
    /** Counter: tiles produced, thumbnails included. */
    tiles: 'internvl.preprocess.tiles',
    /** Histogram, s: request arrival to pixel_values ready. */
    duration: 'internvl.preprocess.duration',
    /** Gauge: images waiting for a worker thread. */
    queueDepth: 'internvl.preprocess.queue_depth',
  },
  vision: {
    /** Histogram: tiles per model run (the dynamic batch size). */
    batchTiles: 'internvl.vision.batch.tiles',
    /** Histogram: requests sharing one model run. */
    batchRequests: 'internvl.vision.batch.requests',
    /** Histogram, s: time a request waited before its first tiles ran. */
    queueWait: 'internvl.vision.queue.wait',
    /** Histogram, s: one ONNX Runtime run of vision.onnx. */
    runDuration: 'internvl.vision.run.duration',
    /** Counter: tiles encoded. */
    tiles: 'internvl.vision.tiles',
    /** Counter: model runs, by `ok`. */
    runs: 'internvl.vision.runs',
    /** Counter: requests answered from the embedding cache or a shared in-flight run. */
    cacheHits: 'internvl.vision.cache.hits',
    /** Counter: requests whose cache key was not cached. */
    cacheMisses: 'internvl.vision.cache.misses',
    /** Gauge: tiles waiting for a model run. */
    queueTiles: 'internvl.vision.queue.tiles',
    /** Gauge, By: bytes held by the embedding cache. */
    cacheBytes: 'internvl.vision.cache.bytes',
    /** Gauge: images held by the embedding cache. */
    cacheEntries: 'internvl.vision.cache.entries',
  },
  llm: {
    /** Histogram, s: request arrival to the first generated token (GenAI server metric). */
    timeToFirstToken: 'gen_ai.server.time_to_first_token',
    /** Histogram, s: mean time per generated token after the first (GenAI server metric). */
    timePerOutputToken: 'gen_ai.server.time_per_output_token',
    /** Histogram, s: request arrival to its last token (GenAI server metric). */
    requestDuration: 'gen_ai.server.request.duration',
    /** Histogram, s: time a sequence waited for a slot before its prefill. */
    queueTime: 'internvl.llm.queue.time',
    /** Counter: tokens processed, by `gen_ai.token.type`. */
    tokens: 'internvl.llm.tokens',
    /** Counter: finished sequences, by `gen_ai.response.finish_reasons`. */
    sequences: 'internvl.llm.sequences',
    /** Histogram: sequences decoded together in one decoder run. */
    stepSequences: 'internvl.llm.step.sequences',
    /** Histogram, s: one batched decode step. */
    stepDuration: 'internvl.llm.step.duration',
    /** Gauge: sequences holding a decode slot. */
    sequencesActive: 'internvl.llm.sequences.active',
    /** Gauge: sequences waiting for a slot. */
    sequencesQueued: 'internvl.llm.sequences.queued',
    /** Gauge, By: bytes the KV cache holds, by `internvl.kv_cache.kind`. */
    kvCacheBytes: 'internvl.llm.kv_cache.bytes',
    /** Gauge, unit 1 (a fraction 0–1): KV arena positions in use. */
    kvCacheUsage: 'internvl.llm.kv_cache.usage',
    /** Observable counter: prompt tokens looked up in the prefix cache. */
    prefixCacheQueries: 'internvl.llm.prefix_cache.queries',
    /** Observable counter: prompt tokens found in the prefix cache. */
    prefixCacheHits: 'internvl.llm.prefix_cache.hits',
  },
} as const;

/**
 * The names Prometheus scrapes from each tier's /metrics (the family names of `# TYPE` lines;
 * histograms add `_bucket`, `_sum` and `_count` to theirs): {@link METRIC_NAME} with its unit
 * suffix and `_total` on counters. Dashboards and alerts use these.
 */
export const PROMETHEUS_NAME = {
  gateway: {
    requests: 'internvl_gateway_requests_total',
    requestDuration: 'internvl_gateway_request_duration_seconds',
    timeToFirstToken: 'internvl_gateway_time_to_first_token_seconds',
  },
  preprocess: {
    images: 'internvl_preprocess_images_total',
    tiles: 'internvl_preprocess_tiles_total',
    duration: 'internvl_preprocess_duration_seconds',
    queueDepth: 'internvl_preprocess_queue_depth',
  },
  vision: {
    batchTiles: 'internvl_vision_batch_tiles',
    batchRequests: 'internvl_vision_batch_requests',
    queueWait: 'internvl_vision_queue_wait_seconds',
    runDuration: 'internvl_vision_run_duration_seconds',
    tiles: 'internvl_vision_tiles_total',
    runs: 'internvl_vision_runs_total',
    cacheHits: 'internvl_vision_cache_hits_total',
    cacheMisses: 'internvl_vision_cache_misses_total',
    queueTiles: 'internvl_vision_queue_tiles',
    cacheBytes: 'internvl_vision_cache_bytes',
    cacheEntries: 'internvl_vision_cache_entries',
  },
  llm: {
    timeToFirstToken: 'gen_ai_server_time_to_first_token_seconds',
    timePerOutputToken: 'gen_ai_server_time_per_output_token_seconds',
    requestDuration: 'gen_ai_server_request_duration_seconds',
    queueTime: 'internvl_llm_queue_time_seconds',
    tokens: 'internvl_llm_tokens_total',
    sequences: 'internvl_llm_sequences_total',
    stepSequences: 'internvl_llm_step_sequences',
    stepDuration: 'internvl_llm_step_duration_seconds',
    sequencesActive: 'internvl_llm_sequences_active',
    sequencesQueued: 'internvl_llm_sequences_queued',
    kvCacheBytes: 'internvl_llm_kv_cache_bytes',
    kvCacheUsage: 'internvl_llm_kv_cache_usage_ratio',
    prefixCacheQueries: 'internvl_llm_prefix_cache_queries_total',
    prefixCacheHits: 'internvl_llm_prefix_cache_hits_total',
  },
} as const satisfies { [T in keyof typeof METRIC_NAME]: Record<keyof (typeof METRIC_NAME)[T], string> };

/**
 * Histogram bucket boundaries, in seconds unless said otherwise (set as each instrument's
 * `advice.explicitBucketBoundaries`).
 */
export const METRIC_BUCKETS = {
  /** The GenAI conventions' advice for `gen_ai.server.time_to_first_token`: 1 ms … 10 s. */
  timeToFirstToken: [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10],
  /** The GenAI conventions' advice for `gen_ai.server.time_per_output_token`: 10 ms … 2.5 s. */
  timePerOutputToken: [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5],
  /** The GenAI conventions' advice for `gen_ai.server.request.duration`: 10 ms … 81.92 s, doubling. */
  requestDuration: [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92],
  /**
   * One step of a tier (preprocessing an image, a vision batch's wait and run): 1 ms … 80 s, a
   * batching window of milliseconds to a CPU run of many tiles.
   */
  step: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80],
  /** Counts per batch (tiles, requests, sequences), powers of two. */
  batchSize: [1, 2, 4, 8, 16, 32, 64, 128],
} as const;

/** Metric attribute keys (Prometheus labels, dots as underscores). */
export const METRIC_ATTR = {
  genAi: {
    /** On `internvl.llm.tokens`: one of {@link TOKEN_TYPE}. */
    tokenType: 'gen_ai.token.type',
    /** On `internvl.llm.sequences`: the sequence's finish reason (stop, length, cancelled). */
    finishReason: 'gen_ai.response.finish_reasons',
  },
  gateway: {
    /**
     * On the gateway's metrics: the gRPC method (`/internvl.v1.ChatService/StreamChat`) or the
     * HTTP method and route template (`POST /v1/chat/completions`, `GET /v1/models/{model}`;
     * `GET unmatched` for an unknown path).
     */
    route: 'internvl.gateway.route',
    /**
     * On `internvl.gateway.requests` and `.request.duration`: the gRPC status code name (`OK`,
     * `INVALID_ARGUMENT`) or the HTTP status (`200`, `429`; `499` when the client left before
     * any response).
     */
    status: 'internvl.gateway.status',
  },
  vision: {
    /** On `internvl.vision.runs`: whether the model run succeeded (bool). */
    ok: 'ok',
  },
  llm: {
    /**
     * On `internvl.llm.kv_cache.bytes`: one of {@link KV_CACHE_KIND}. Without the tier in its
     * name, unlike the rest; kept as the Prometheus label `internvl_kv_cache_kind` dashboards read.
     */
    kvCacheKind: 'internvl.kv_cache.kind',
  },
} as const;

/**
 * Values of `gen_ai.token.type`: `input` and `output` are the GenAI ones; `cached_input` (prompt
 * tokens taken from the prefix cache, a part of `input`) is this stack's own.
 */
export const TOKEN_TYPE = {
  input: 'input',
  output: 'output',
  cachedInput: 'cached_input',
} as const;

/** Values of `internvl.kv_cache.kind`. */
export const KV_CACHE_KIND = {
  /** Running sequences' rows. */
  arena: 'arena',
  /** Blocks kept for prefix reuse. */
  prefix: 'prefix',
} as const;
