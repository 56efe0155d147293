import type { IncomingMessage, ServerResponse } from 'node:http';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  BatchSpanProcessor,
  NoopSpanProcessor,
  SimpleSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { FileSpanExporter } from './file-span-exporter';
import { PrometheusText } from './prometheus-text';

export interface Telemetry {
  /** Serves the Prometheus text format; mount it on GET /metrics. */
  metricsHandler(req: IncomingMessage, res: ServerResponse): void;
  shutdown(): Promise<void>;
}

let active: Telemetry | undefined;

function spanProcessors(serviceName: string, env: NodeJS.ProcessEnv): SpanProcessor[] {
  const processors: SpanProcessor[] = [];
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) {
    // Required lazily: the exporter loads @grpc/grpc-js, which must happen after the
    // instrumentation hook is installed by sdk.start().
    const { OTLPTraceExporter } =
      require('@opentelemetry/exporter-trace-otlp-grpc') as typeof import('@opentelemetry/exporter-trace-otlp-grpc');
    processors.push(new BatchSpanProcessor(new OTLPTraceExporter()));
  }
  if (env.INTERNVL_TRACE_FILE)
    processors.push(new SimpleSpanProcessor(new FileSpanExporter(env.INTERNVL_TRACE_FILE, serviceName)));
  // Without any exporter, spans are still created so trace ids propagate and appear in logs.
  if (processors.length === 0) processors.push(new NoopSpanProcessor());
  return processors;
}

/**
 * Starts the OpenTelemetry NodeSDK for one process. Call it in the entry point BEFORE anything
 * loads @grpc/grpc-js: the gRPC instrumentation patches the module when it is required.
 * Traces: W3C trace-context propagation over gRPC metadata; exported over OTLP/gRPC when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set, and as JSON lines when INTERNVL_TRACE_FILE is set.
 * Metrics: a Prometheus reader whose text the service kit serves on its metrics port, named as
 * the OpenTelemetry Prometheus compatibility spec asks (unit suffix such as `_seconds`, then
 * `_total` on counters).
 */
export function initTelemetry(serviceName: string, env: NodeJS.ProcessEnv = process.env): Telemetry {
  if (active) return active;
  const prometheus = new PrometheusText();
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ?? serviceName,
    instrumentations: [new GrpcInstrumentation()],
    metricReader: prometheus.reader,
    spanProcessors: spanProcessors(serviceName, env),
    resourceDetectors: [],
  });
  sdk.start();
  active = {
    metricsHandler: prometheus.handler,
    shutdown: () => sdk.shutdown(),
  };
  return active;
}
