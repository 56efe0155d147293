export { initTelemetry, type Telemetry } from './init-telemetry';
export { FileSpanExporter, type SpanRecord } from './file-span-exporter';
export { prometheusUnit, withUnitSuffix, withUnitSuffixes } from './prometheus-names';
export { localMeters, PrometheusText, type LocalMeters } from './prometheus-text';
