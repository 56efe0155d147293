import { metrics } from '@opentelemetry/api';
import { METRIC_BUCKETS, METRIC_NAME, SCOPE_NAME } from '@internvl/service-kit';

const NAME = METRIC_NAME.preprocess;

/** Prometheus-facing metrics of the preprocess tier (durations in seconds). */
export class PreprocessMetrics {
  private readonly meter = metrics.getMeter(SCOPE_NAME.preprocess);
  private readonly images = this.meter.createCounter(NAME.images, {
    description: 'Images preprocessed.',
    unit: '{image}',
  });
  private readonly tiles = this.meter.createCounter(NAME.tiles, {
    description: 'Tiles produced, thumbnails included.',
    unit: '{tile}',
  });
  private readonly duration = this.meter.createHistogram(NAME.duration, {
    description: 'Time from request arrival to pixel_values ready.',
    unit: 's',
    advice: { explicitBucketBoundaries: [...METRIC_BUCKETS.step] },
  });

  constructor(queueDepth: () => number) {
    this.meter
      .createObservableGauge(NAME.queueDepth, {
        description: 'Images waiting for a worker thread.',
        unit: '{image}',
      })
      .addCallback((result) => result.observe(queueDepth()));
  }

  recordImage(numTiles: number, ms: number): void {
    this.images.add(1);
    this.tiles.add(numTiles);
    this.duration.record(ms / 1000);
  }
}
