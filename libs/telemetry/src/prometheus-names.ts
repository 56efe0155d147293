import { DataPointType, type MetricData, type ResourceMetrics } from '@opentelemetry/sdk-metrics';

/** UCUM units (as OpenTelemetry instruments spell them) and their Prometheus words. */
const UNIT_WORDS: Record<string, string> = {
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  bit: 'bits',
  Hz: 'hertz',
  '%': 'percent',
};

/** The per-unit of `x/y` units (`By/s` → `bytes_per_second`). */
const PER_UNIT_WORDS: Record<string, string> = { s: 'second', min: 'minute', h: 'hour', d: 'day' };

/**
 * The Prometheus unit of an OpenTelemetry unit, per the OpenTelemetry "Prometheus and OpenMetrics
 * Compatibility" spec: UCUM abbreviations become words (`s` → `seconds`, `By` → `bytes`),
 * annotations in braces are dropped (`{token}` → none), `x/y` becomes `x_per_y`, and the
 * dimensionless `1` is `ratio` on gauges (nothing on other kinds). `undefined`: no unit.
 */
export function prometheusUnit(unit: string, gauge: boolean): string | undefined {
  const bare = unit.replace(/\{[^}]*\}/g, '').trim();
  if (bare === '') return undefined;
  if (bare === '1') return gauge ? 'ratio' : undefined;
  const [main = '', per] = bare.split('/', 2);
  const words = [UNIT_WORDS[main] ?? main];
  if (per !== undefined && per !== '') words.push('per', PER_UNIT_WORDS[per] ?? per);
  const word = words
    .filter((w) => w !== '')
    .join('_')
    .replace(/[^a-zA-Z0-9_]/g, '_')
    .replace(/_{2,}/g, '_')
    .replace(/^_|_$/g, '');
  return word === '' ? undefined : word;
}

/**
 * The metric's name with its Prometheus unit as a suffix (`gen_ai.server.time_to_first_token`,
 * unit `s` → `gen_ai.server.time_to_first_token_seconds`), unless the name already ends with it;
 * the serializer then turns dots into underscores and adds `_total` to counters. The descriptor's
 * unit becomes the Prometheus word too, so `# UNIT` agrees with the suffix (OpenMetrics).
 */
export function withUnitSuffix(metric: MetricData): MetricData {
  const { name, unit } = metric.descriptor;
  const word = prometheusUnit(unit, metric.dataPointType === DataPointType.GAUGE || isUpDownSum(metric));
  const sanitized = name.replace(/[^a-zA-Z0-9_]/g, '_');
  const suffixed = word === undefined || sanitized.endsWith(`_${word}`) ? name : `${name}_${word}`;
  return { ...metric, descriptor: { ...metric.descriptor, name: suffixed, unit: word ?? '' } };
}

/** A non-monotonic sum (up-down counter) is a Prometheus gauge. */
function isUpDownSum(metric: MetricData): boolean {
  return metric.dataPointType === DataPointType.SUM && !metric.isMonotonic;
}

/**
 * Every metric of a collection renamed by {@link withUnitSuffix}. The Prometheus exporter of
 * OpenTelemetry JS (0.223) adds `_total` to counters but no unit suffix, so this runs between its
 * collection and its serializer.
 */
export function withUnitSuffixes(resourceMetrics: ResourceMetrics): ResourceMetrics {
  return {
    ...resourceMetrics,
    scopeMetrics: resourceMetrics.scopeMetrics.map((scope) => ({
      ...scope,
      metrics: scope.metrics.map(withUnitSuffix),
    })),
  };
}
