import { metrics } from '@opentelemetry/api';
import type { FinishReason } from '@internvl/generation';
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

/**
 * Prometheus-facing metrics of the llm tier, named after the OpenTelemetry GenAI semantic
 * conventions where they define one (gen_ai.server.*), internvl.llm.* otherwise.
 */
export class LlmMetrics implements SchedulerObserver {
  private readonly meter = metrics.getMeter('internvl.llm');
  private readonly ttft = this.meter.createHistogram('gen_ai.server.time_to_first_token', {
    description: 'Time from request arrival to the first generated token.',
    unit: 's',
  });
  private readonly tpot = this.meter.createHistogram('gen_ai.server.time_per_output_token', {
    description: 'Mean time per generated token after the first, per request.',
    unit: 's',
  });
  private readonly duration = this.meter.createHistogram('gen_ai.server.request.duration', {
    description: 'Time from request arrival to its last token.',
    unit: 's',
  });
  private readonly queueTime = this.meter.createHistogram('internvl.llm.queue.time', {
    description: 'Time a sequence waited for a slot before its prefill.',
    unit: 's',
  });
  private readonly tokens = this.meter.createCounter('internvl.llm.tokens', {
    description: 'Tokens processed, by gen_ai.token.type (input = prompt, output = generated).',
  });
  private readonly sequences = this.meter.createCounter('internvl.llm.sequences', {
    description: 'Finished sequences by gen_ai.response.finish_reasons (stop, length, cancelled).',
  });
  private readonly stepSize = this.meter.createHistogram('internvl.llm.step.sequences', {
    description: 'Sequences decoded together in one decoder run (the continuous batch size).',
    advice: { explicitBucketBoundaries: [1, 2, 4, 8, 16, 32, 64, 128] },
  });
  private readonly stepDuration = this.meter.createHistogram('internvl.llm.step.duration', {
    description: 'Duration of one batched decode step.',
    unit: 's',
  });

  constructor(gauges: LlmGauges) {
    this.meter
      .createObservableGauge('internvl.llm.sequences.active', {
        description: 'Sequences holding a decode slot and a KV cache.',
      })
      .addCallback((r) => r.observe(gauges.activeSequences()));
    this.meter
      .createObservableGauge('internvl.llm.sequences.queued', {
        description: 'Sequences waiting for a slot (scale out on this).',
      })
      .addCallback((r) => r.observe(gauges.queuedSequences()));
    this.meter
      .createObservableGauge('internvl.llm.kv_cache.bytes', {
        description: 'Bytes the KV cache holds: running sequences (arena) and prefix-cache blocks, by kind.',
        unit: 'By',
      })
      .addCallback((r) => {
        const kv = gauges.kv();
        r.observe(kv.arenaBytes, { 'internvl.kv_cache.kind': 'arena' });
        r.observe(kv.prefixBytes, { 'internvl.kv_cache.kind': 'prefix' });
      });
    this.meter
      .createObservableGauge('internvl.llm.kv_cache.usage', {
        description: 'Fraction of the KV arena filled by running sequences (vLLM kv_cache_usage_perc).',
      })
      .addCallback((r) => {
        const kv = gauges.kv();
        r.observe(kv.capacityPositions > 0 ? kv.usedPositions / kv.capacityPositions : 0);
      });
    this.meter
      .createObservableCounter('internvl.llm.prefix_cache.queries', {
        description: 'Prompt tokens looked up in the prefix cache (vLLM prefix_cache_queries).',
      })
      .addCallback((r) => r.observe(gauges.kv().prefixQueriedTokens));
    this.meter
      .createObservableCounter('internvl.llm.prefix_cache.hits', {
        description: 'Prompt tokens found in the prefix cache and not computed (vLLM prefix_cache_hits).',
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
    this.sequences.add(1, { 'gen_ai.response.finish_reasons': reason });
    this.tokens.add(usage.promptTokens, { 'gen_ai.token.type': 'input' });
    this.tokens.add(usage.completionTokens, { 'gen_ai.token.type': 'output' });
    this.tokens.add(usage.cachedTokens, { 'gen_ai.token.type': 'cached_input' });
    if (usage.completionTokens > 1) this.tpot.record(seconds(timings.timePerOutputTokenMs));
    this.duration.record(seconds(timings.totalMs));
  }
}
