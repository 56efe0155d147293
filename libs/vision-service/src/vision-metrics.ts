import { metrics } from '@opentelemetry/api';
import { METRIC_ATTR, METRIC_BUCKETS, METRIC_NAME, SCOPE_NAME } from '@internvl/service-kit';
import type { BatchRecord } from './tile-batcher';

const NAME = METRIC_NAME.vision;
const seconds = (ms: number) => ms / 1000;

/** Live values the metrics observe on each scrape. */
export interface VisionGauges {
  queuedTiles(): number;
  cacheBytes(): number;
  cacheEntries(): number;
}

/**
 * Prometheus-facing metrics of the vision tier (durations in seconds). Tiles/s is
 * `rate(internvl_vision_tiles_total[1m])`; mean batch size is the batch histogram's sum / count.
 */
export class VisionMetrics {
  private readonly meter = metrics.getMeter(SCOPE_NAME.vision);
  private readonly batchTiles = this.meter.createHistogram(NAME.batchTiles, {
    description: 'Tiles per model run (the dynamic batch size).',
    unit: '{tile}',
    advice: { explicitBucketBoundaries: [...METRIC_BUCKETS.batchSize] },
  });
  private readonly batchRequests = this.meter.createHistogram(NAME.batchRequests, {
    description: 'Requests sharing one model run.',
    unit: '{request}',
    advice: { explicitBucketBoundaries: [...METRIC_BUCKETS.batchSize] },
  });
  private readonly queueWait = this.meter.createHistogram(NAME.queueWait, {
    description: 'Time a request waited in the batch queue before its first tiles ran.',
    unit: 's',
    advice: { explicitBucketBoundaries: [...METRIC_BUCKETS.step] },
  });
  private readonly runDuration = this.meter.createHistogram(NAME.runDuration, {
    description: 'Duration of one ONNX Runtime run of vision.onnx.',
    unit: 's',
    advice: { explicitBucketBoundaries: [...METRIC_BUCKETS.step] },
  });
  private readonly tiles = this.meter.createCounter(NAME.tiles, {
    description: 'Tiles encoded by the model (rate() gives tiles/s).',
    unit: '{tile}',
  });
  private readonly runs = this.meter.createCounter(NAME.runs, {
    description: 'ONNX Runtime runs of vision.onnx, by outcome.',
    unit: '{run}',
  });
  private readonly cacheHits = this.meter.createCounter(NAME.cacheHits, {
    description:
      'Requests answered from the embedding cache or a shared in-flight run (no model run of their own).',
    unit: '{request}',
  });
  private readonly cacheMisses = this.meter.createCounter(NAME.cacheMisses, {
    description: 'Requests with a cache key that was not cached (encoded, or NOT_FOUND without pixels).',
    unit: '{request}',
  });

  constructor(gauges: VisionGauges) {
    // Exported from the start, so a hit ratio over them has both series before the first hit.
    this.cacheHits.add(0);
    this.cacheMisses.add(0);
    this.meter
      .createObservableGauge(NAME.queueTiles, {
        description: 'Tiles waiting for a model run (scale out on this).',
        unit: '{tile}',
      })
      .addCallback((r) => r.observe(gauges.queuedTiles()));
    this.meter
      .createObservableGauge(NAME.cacheBytes, {
        description: 'Bytes held by the embedding cache.',
        unit: 'By',
      })
      .addCallback((r) => r.observe(gauges.cacheBytes()));
    this.meter
      .createObservableGauge(NAME.cacheEntries, {
        description: 'Images held by the embedding cache.',
        unit: '{image}',
      })
      .addCallback((r) => r.observe(gauges.cacheEntries()));
  }

  recordBatch(record: BatchRecord): void {
    this.runs.add(1, { [METRIC_ATTR.vision.ok]: record.ok });
    this.runDuration.record(seconds(record.runMs));
    this.batchTiles.record(record.tiles);
    this.batchRequests.record(record.requests);
    if (record.ok) this.tiles.add(record.tiles);
  }

  recordQueueWait(ms: number): void {
    this.queueWait.record(seconds(ms));
  }

  recordCache(hit: boolean): void {
    (hit ? this.cacheHits : this.cacheMisses).add(1);
  }
}
