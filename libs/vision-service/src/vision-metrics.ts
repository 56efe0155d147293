import { metrics } from '@opentelemetry/api';
import type { BatchRecord } from './tile-batcher';

/** Live values the metrics observe on each scrape. */
export interface VisionGauges {
  queuedTiles(): number;
  cacheBytes(): number;
  cacheEntries(): number;
}

/**
 * Prometheus-facing metrics of the vision tier. Tiles/s is `rate(internvl_vision_tiles_total[1m])`;
 * mean batch size is the batch histogram's sum / count.
 */
export class VisionMetrics {
  private readonly meter = metrics.getMeter('internvl.vision');
  private readonly batchTiles = this.meter.createHistogram('internvl.vision.batch.tiles', {
    description: 'Tiles per model run (the dynamic batch size).',
    advice: { explicitBucketBoundaries: [1, 2, 4, 8, 16, 32, 64, 128] },
  });
  private readonly batchRequests = this.meter.createHistogram('internvl.vision.batch.requests', {
    description: 'Requests sharing one model run.',
    advice: { explicitBucketBoundaries: [1, 2, 4, 8, 16, 32, 64] },
  });
  private readonly queueWait = this.meter.createHistogram('internvl.vision.queue.wait', {
    description: 'Time a request waited in the batch queue before its first tiles ran.',
    unit: 'ms',
  });
  private readonly runDuration = this.meter.createHistogram('internvl.vision.run.duration', {
    description: 'Duration of one ONNX Runtime run of vision.onnx.',
    unit: 'ms',
  });
  private readonly tiles = this.meter.createCounter('internvl.vision.tiles', {
    description: 'Tiles encoded by the model (rate() gives tiles/s).',
  });
  private readonly runs = this.meter.createCounter('internvl.vision.runs', {
    description: 'ONNX Runtime runs of vision.onnx, by outcome.',
  });
  private readonly cacheHits = this.meter.createCounter('internvl.vision.cache.hits', {
    description:
      'Requests answered from the embedding cache or a shared in-flight run (no model run of their own).',
  });
  private readonly cacheMisses = this.meter.createCounter('internvl.vision.cache.misses', {
    description: 'Requests with a cache key that was not cached (encoded, or NOT_FOUND without pixels).',
  });

  constructor(gauges: VisionGauges) {
    this.meter
      .createObservableGauge('internvl.vision.queue.tiles', {
        description: 'Tiles waiting for a model run (scale out on this).',
      })
      .addCallback((r) => r.observe(gauges.queuedTiles()));
    this.meter
      .createObservableGauge('internvl.vision.cache.bytes', {
        description: 'Bytes held by the embedding cache.',
        unit: 'By',
      })
      .addCallback((r) => r.observe(gauges.cacheBytes()));
    this.meter
      .createObservableGauge('internvl.vision.cache.entries', {
        description: 'Images held by the embedding cache.',
      })
      .addCallback((r) => r.observe(gauges.cacheEntries()));
  }

  recordBatch(record: BatchRecord): void {
    this.runs.add(1, { ok: record.ok });
    this.runDuration.record(record.runMs);
    this.batchTiles.record(record.tiles);
    this.batchRequests.record(record.requests);
    if (record.ok) this.tiles.add(record.tiles);
  }

  recordQueueWait(ms: number): void {
    this.queueWait.record(ms);
  }

  recordCache(hit: boolean): void {
    (hit ? this.cacheHits : this.cacheMisses).add(1);
  }
}
