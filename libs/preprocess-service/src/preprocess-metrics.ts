import { metrics } from '@opentelemetry/api';

/** Prometheus-facing metrics of the preprocess tier. */
export class PreprocessMetrics {
  private readonly meter = metrics.getMeter('internvl.preprocess');
  private readonly images = this.meter.createCounter('internvl.preprocess.images', {
    description: 'Images preprocessed.',
  });
  private readonly tiles = this.meter.createCounter('internvl.preprocess.tiles', {
    description: 'Tiles produced, thumbnails included.',
  });
  private readonly duration = this.meter.createHistogram('internvl.preprocess.duration', {
    description: 'Time from request arrival to pixel_values ready.',
    unit: 'ms',
  });

  constructor(queueDepth: () => number) {
    this.meter
      .createObservableGauge('internvl.preprocess.queue_depth', {
        description: 'Images waiting for a worker thread.',
      })
      .addCallback((result) => result.observe(queueDepth()));
  }

  recordImage(numTiles: number, ms: number): void {
    this.images.add(1);
    this.tiles.add(numTiles);
    this.duration.record(ms);
  }
}
