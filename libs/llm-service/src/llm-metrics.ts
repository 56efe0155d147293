import { metrics } from '@opentelemetry/api';
import type { FinishReason } from '@internvl/generation';
import {
  KV_CACHE_KIND,
  METRIC_ATTR,
  METRIC_BUCKETS,
  METRIC_NAME,
  SCOPE_NAME,
  TOKEN_TYPE,
} from '@internvl/service-kit';
import type { SchedulerObserver } from './scheduler/batch-scheduler';
import type { GenerationTimings, GenerationUsage } from './scheduler/generation-events';
import type { KvCacheStats } from './kv-cache/kv-cache-manager';

/** Live values the metrics observe on each scrape. */
export interface LlmGauges {
  activeSequences(): number;
  queuedSequences(): number;
  kv(): KvCacheStats;
}

const seconds = (ms: number) => ms / 1000;
const NAME = METRIC_NAME.llm;
const { tokenType, finishReason } = METRIC_ATTR.genAi;

/**
 * Prometheus-facing metrics of the llm tier, named after the OpenTelemetry GenAI semantic
 * conventions where they define one (gen_ai.server.*, with their bucket advice), internvl.llm.*
 * otherwise; the vLLM signals an operator expects (running / waiting, KV-cache usage, prefix-cache
 * queries / hits, prompt / generation tokens, queue time) each have one. Durations in seconds.
 */
export class LlmMetrics implements SchedulerObserver {
  private readonly meter = metrics.getMeter(SCOPE_NAME.llm);
  private readonly ttft = this.meter.createHistogram(NAME.timeToFirstToken, {
    description: 'Time from request arrival to the first generated token.',
    unit: 's',
    advice: { explicitBucketBoundaries: [...METRIC_BUCKETS.timeToFirstToken] },
  });
  private readonly tpot = this.meter.createHistogram(NAME.timePerOutputToken, {
    description: 'Mean time per generated token after the first, per request.',
    unit: 's',
    advice: { explicitBucketBoundaries: [...METRIC_BUCKETS.timePerOutputToken] },
  });
  private readonly duration = this.meter.createHistogram(NAME.requestDuration, {
    description: 'Time from request arrival to its last token.',
    unit: 's',
    advice: { explicitBucketBoundaries: [...METRIC_BUCKETS.requestDuration] },
  });
  private readonly queueTime = this.meter.createHistogram(NAME.queueTime, {
    description: 'Time a sequence waited for a slot before its prefill (vLLM request_queue_time).',
    unit: 's',
    advice: { explicitBucketBoundaries: [...METRIC_BUCKETS.requestDuration] },
  });
  private readonly tokens = this.meter.createCounter(NAME.tokens, {
    description:
      'Tokens processed, by gen_ai.token.type: input = prompt (vLLM prompt_tokens), output = generated (vLLM generation_tokens), cached_input = prompt tokens from the prefix cache.',
    unit: '{token}',
  });
  private readonly sequences = this.meter.createCounter(NAME.sequences, {
    description: 'Finished sequences by gen_ai.response.finish_reasons (stop, length, cancelled).',
    unit: '{sequence}',
  });
  private readonly stepSize = this.meter.createHistogram(NAME.stepSequences, {
    description: 'Sequences decoded together in one decoder run (the continuous batch size).',
    unit: '{sequence}',
    advice: { explicitBucketBoundaries: [...METRIC_BUCKETS.batchSize] },
  });
  private readonly stepDuration = this.meter.createHistogram(NAME.stepDuration, {
    description: 'Duration of one batched decode step.',
    unit: 's',
    advice: { explicitBucketBoundaries: [...METRIC_BUCKETS.timePerOutputToken] },
  });

  constructor(gauges: LlmGauges) {
    this.meter
      .createObservableGauge(NAME.sequencesActive, {
        description: 'Sequences holding a decode slot and a KV cache (vLLM num_requests_running).',
        unit: '{sequence}',
      })
      .addCallback((r) => r.observe(gauges.activeSequences()));
    this.meter
      .createObservableGauge(NAME.sequencesQueued, {
        description: 'Sequences waiting for a slot (vLLM num_requests_waiting; scale out on this).',
        unit: '{sequence}',
      })
      .addCallback((r) => r.observe(gauges.queuedSequences()));
    this.meter
      .createObservableGauge(NAME.kvCacheBytes, {
        description: 'Bytes the KV cache holds: running sequences (arena) and prefix-cache blocks, by kind.',
        unit: 'By',
      })
      .addCallback((r) => {
        const kv = gauges.kv();
        r.observe(kv.arenaBytes, { [METRIC_ATTR.llm.kvCacheKind]: KV_CACHE_KIND.arena });
        r.observe(kv.prefixBytes, { [METRIC_ATTR.llm.kvCacheKind]: KV_CACHE_KIND.prefix });
      });
    this.meter
      .createObservableGauge(NAME.kvCacheUsage, {
        description: 'Fraction (0-1) of the KV arena filled by running sequences (vLLM kv_cache_usage_perc).',
        unit: '1',
      })
      .addCallback((r) => {
        const kv = gauges.kv();
        r.observe(kv.capacityPositions > 0 ? kv.usedPositions / kv.capacityPositions : 0);
      });
    this.meter
      .createObservableCounter(NAME.prefixCacheQueries, {
        description: 'Prompt tokens looked up in the prefix cache (vLLM prefix_cache_queries).',
        unit: '{token}',
      })
      .addCallback((r) => r.observe(gauges.kv().prefixQueriedTokens));
    this.meter
      .createObservableCounter(NAME.prefixCacheHits, {
        description: 'Prompt tokens found in the prefix cache and not computed (vLLM prefix_cache_hits).',
        unit: '{token}',
      })
      .addCallback((r) => r.observe(gauges.kv().prefixHitTokens));
  }

  admitted(queueMs: number): void {
    this.queueTime.record(seconds(queueMs));
  }

  firstToken(ms: number): void {
    this.ttft.record(seconds(ms));
  }

  step(sequences: number, ms: number): void {
    this.stepSize.record(sequences);
    this.stepDuration.record(seconds(ms));
  }

  finished(reason: FinishReason, usage: GenerationUsage, timings: GenerationTimings): void {
    this.sequences.add(1, { [finishReason]: reason });
    this.tokens.add(usage.promptTokens, { [tokenType]: TOKEN_TYPE.input });
    this.tokens.add(usage.completionTokens, { [tokenType]: TOKEN_TYPE.output });
    this.tokens.add(usage.cachedTokens, { [tokenType]: TOKEN_TYPE.cachedInput });
    if (usage.completionTokens > 1) this.tpot.record(seconds(timings.timePerOutputTokenMs));
    this.duration.record(seconds(timings.totalMs));
  }
}
