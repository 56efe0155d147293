import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseYamlDocuments } from './support/k8s';
import { REPO_ROOT } from './support/paths';
import { prometheusSeriesNames, promqlMetricNames } from './support/prometheus-names';

// The Grafana dashboard and the alert rules beside the Kubernetes manifests query the tiers'
// metrics by name: every name they use must be one the tiers export (PROMETHEUS_NAME in
// libs/service-kit/src/telemetry/semconv.ts), so a renamed metric fails here, not on a dashboard.
const MONITORING = join(REPO_ROOT, 'tools', 'deploy', 'k8s', 'monitoring');
/** Series from outside the stack the dashboard and alerts read (kube-state-metrics). */
const EXTERNAL_SERIES = new Set([
  'kube_deployment_status_replicas_available',
  'kube_deployment_spec_replicas',
]);

interface Panel {
  title?: string;
  type: string;
  targets?: Array<{ expr?: string }>;
  panels?: Panel[];
}

function checkNames(where: string, expr: string, exported: Set<string>): string[] {
  const names = promqlMetricNames(expr);
  assert.ok(names.length > 0, `${where}: no metric in ${expr}`);
  for (const name of names)
    assert.ok(
      exported.has(name) || EXTERNAL_SERIES.has(name),
      `${where}: ${name} is not a metric the tiers export (semconv.ts PROMETHEUS_NAME) in ${expr}`,
    );
  return names;
}

describe('monitoring: the dashboard and alerts use metric names the tiers export', () => {
  const exported = prometheusSeriesNames();

  test('PromQL name extraction skips functions, labels, strings and ranges', () => {
    assert.deepEqual(
      promqlMetricNames(
        'histogram_quantile(0.95, sum by (le, pod) (rate(gen_ai_server_time_to_first_token_seconds_bucket{namespace="$namespace", x=~"a b"}[$__rate_interval]))) / on (pod) group_left up',
      ),
      ['gen_ai_server_time_to_first_token_seconds_bucket', 'up'],
    );
    assert.deepEqual(promqlMetricNames('label_values(internvl_llm_sequences_active, namespace)'), [
      'internvl_llm_sequences_active',
    ]);
    assert.deepEqual(promqlMetricNames('max by (namespace, pod) (internvl_llm_kv_cache_usage_ratio) > 0.9'), [
      'internvl_llm_kv_cache_usage_ratio',
    ]);
  });

  test('internvl-dashboard.json: every panel query and the namespace variable', () => {
    const dashboard = JSON.parse(readFileSync(join(MONITORING, 'internvl-dashboard.json'), 'utf8')) as {
      uid: string;
      panels: Panel[];
      templating: { list: Array<{ name: string; query?: string | { query: string } }> };
    };
    assert.ok(dashboard.uid);
    const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.type !== 'row');
    assert.ok(panels.length >= 10, `${panels.length} panels`);
    const used = new Set<string>();
    for (const panel of panels) {
      assert.ok(panel.targets?.length, `${panel.title}: queries`);
      for (const target of panel.targets!)
        for (const name of checkNames(`panel "${panel.title}"`, target.expr ?? '', exported)) used.add(name);
    }
    for (const variable of dashboard.templating.list) {
      const query = typeof variable.query === 'object' ? variable.query.query : undefined;
      if (query?.startsWith('label_values')) checkNames(`variable ${variable.name}`, query, exported);
    }
    // What the README says to alert on is on the dashboard too.
    for (const name of [
      'gen_ai_server_time_to_first_token_seconds_bucket',
      'internvl_llm_sequences_queued',
      'internvl_vision_queue_tiles',
      'internvl_preprocess_queue_depth',
      'internvl_llm_kv_cache_usage_ratio',
      'internvl_gateway_requests_total',
    ])
      assert.ok(used.has(name), `the dashboard shows ${name}`);
  });

  test('internvl-alerts.yaml: every rule expression', () => {
    const [rules] = parseYamlDocuments(
      readFileSync(join(MONITORING, 'internvl-alerts.yaml'), 'utf8'),
    ) as Array<{
      groups: Array<{ name: string; rules: Array<{ alert: string; expr: string; for?: string }> }>;
    }>;
    const alerts = rules!.groups.flatMap((g) => g.rules);
    assert.ok(alerts.length >= 5);
    const used = new Set<string>();
    for (const rule of alerts) {
      assert.ok(rule.alert && rule.expr, 'alert and expr');
      for (const name of checkNames(`alert ${rule.alert}`, rule.expr, exported)) used.add(name);
    }
    // What the README says to alert on: queue depth, TTFT p95, KV cache usage, the UNAVAILABLE rate.
    for (const name of [
      'gen_ai_server_time_to_first_token_seconds_bucket',
      'internvl_llm_sequences_queued',
      'internvl_llm_kv_cache_usage_ratio',
      'internvl_gateway_requests_total',
    ])
      assert.ok(used.has(name), `an alert on ${name}`);
  });
});
