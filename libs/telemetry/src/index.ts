export { initTelemetry, type Telemetry } from './init-telemetry';
export { FileSpanExporter, type SpanRecord } from './file-span-exporter';
