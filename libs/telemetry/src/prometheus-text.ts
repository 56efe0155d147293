import type { IncomingMessage, ServerResponse } from 'node:http';
import { diag, type Meter } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { withUnitSuffixes } from './prometheus-names';

/**
 * A Prometheus metric reader and the text it serves: OpenTelemetry's Prometheus exporter (its
 * reader, cumulative temporality, `_total` on counters) with the unit suffixes it lacks
 * (`_seconds`, `_bytes`, `_ratio`; see `withUnitSuffix`).
 */
export class PrometheusText {
  /** Register it as the SDK's metric reader; it serves no port of its own. */
  readonly reader = new PrometheusExporter({ preventServerStart: true });
  private readonly serializer = new PrometheusSerializer();

  /** The Prometheus text format of everything collected now. */
  async text(): Promise<string> {
    const { resourceMetrics, errors } = await this.reader.collect();
    if (errors.length > 0) diag.error('PrometheusText: metrics collection errors', ...errors);
    return this.serializer.serialize(withUnitSuffixes(resourceMetrics));
  }

  /** Answers a scrape (mount it on GET /metrics); bound, so it can be passed as it is. */
  readonly handler = (_req: IncomingMessage, res: ServerResponse): void => {
    this.text().then(
      (text) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(text),
      (err: unknown) =>
        res
          .writeHead(500, { 'content-type': 'text/plain' })
          .end(`# failed to export metrics: ${String(err)}\n`),
    );
  };
}

/** Meters of a provider of their own and the Prometheus text of what they recorded. */
export interface LocalMeters {
  getMeter(name: string): Meter;
  /** What GET /metrics would serve for these meters. */
  scrape(): Promise<string>;
  shutdown(): Promise<void>;
}

/**
 * A meter provider outside the global one, read as a tier's /metrics reads the global one: for
 * specs that check names, units and buckets without starting the SDK.
 */
export function localMeters(): LocalMeters {
  const prometheus = new PrometheusText();
  const provider = new MeterProvider({ readers: [prometheus.reader] });
  return {
    getMeter: (name) => provider.getMeter(name),
    scrape: () => prometheus.text(),
    shutdown: () => provider.shutdown(),
  };
}
