import { PROMETHEUS_NAME } from '@internvl/service-kit';

/**
 * Every series name the tiers export: each PROMETHEUS_NAME (semconv.ts, the names /metrics shows)
 * and, for a histogram (any name but a counter's `_total`), its `_bucket`, `_sum` and `_count` series.
 */
export function prometheusSeriesNames(): Set<string> {
  const names = new Set<string>();
  for (const group of Object.values(PROMETHEUS_NAME))
    for (const name of Object.values(group) as string[])
      for (const suffix of name.endsWith('_total') ? [''] : ['', '_bucket', '_sum', '_count'])
        names.add(name + suffix);
  return names;
}

const PROMQL_KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'inf',
  'nan',
]);

/**
 * The metric names a PromQL expression reads: identifiers that are not functions, keywords, label
 * names (inside `{...}`, `by (...)`, `without (...)`) or strings. Grafana's `label_values(m, l)`
 * reads metric `m`.
 */
export function promqlMetricNames(expr: string): string[] {
  const stripped = expr
    .replace(/label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{[^}]*\})?\s*,[^)]*\)/g, ' $1 ')
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names: string[] = [];
  for (const match of stripped.matchAll(/(?<![A-Za-z0-9_.$])[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const rest = stripped.slice(match.index! + match[0].length);
    if (/^\s*\(/.test(rest)) continue; // a function
    if (PROMQL_KEYWORDS.has(match[0].toLowerCase())) continue;
    names.push(match[0]);
  }
  return names;
}
