import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { prometheusUnit } from './prometheus-names';
import { localMeters } from './prometheus-text';

test('units become Prometheus words: UCUM abbreviations, braces dropped, 1 is ratio on gauges', () => {
  assert.equal(prometheusUnit('s', false), 'seconds');
  assert.equal(prometheusUnit('ms', false), 'milliseconds');
  assert.equal(prometheusUnit('By', true), 'bytes');
  assert.equal(prometheusUnit('By/s', false), 'bytes_per_second');
  assert.equal(prometheusUnit('{token}', false), undefined);
  assert.equal(prometheusUnit('{token}/s', false), 'per_second');
  assert.equal(prometheusUnit('', true), undefined);
  assert.equal(prometheusUnit('1', true), 'ratio');
  assert.equal(prometheusUnit('1', false), undefined);
  assert.equal(prometheusUnit('packets', false), 'packets');
});

/** The `# TYPE` lines of a scrape but the resource's `target_info`: family name → type. */
function families(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) if (m[1] !== 'target_info') out.set(m[1]!, m[2]!);
  return out;
}

test('a scrape names metrics with their unit suffix, then _total on counters, and keeps advised buckets', async () => {
  const meters = localMeters();
  try {
    const meter = meters.getMeter('spec');
    meter
      .createHistogram('gen_ai.server.time_to_first_token', {
        unit: 's',
        advice: { explicitBucketBoundaries: [0.001, 0.5, 10] },
      })
      .record(0.2);
    meter.createCounter('spec.tokens', { unit: '{token}' }).add(3);
    meter.createCounter('spec.busy', { unit: 's' }).add(1.5);
    meter.createObservableGauge('spec.usage', { unit: '1' }).addCallback((r) => r.observe(0.25));
    meter.createObservableGauge('spec.cache.bytes', { unit: 'By' }).addCallback((r) => r.observe(10));
    meter.createObservableGauge('spec.depth').addCallback((r) => r.observe(2));
    const text = await meters.scrape();
    assert.deepEqual(
      Object.fromEntries(families(text)),
      {
        gen_ai_server_time_to_first_token_seconds: 'histogram',
        spec_tokens_total: 'counter',
        spec_busy_seconds_total: 'counter',
        spec_usage_ratio: 'gauge',
        spec_cache_bytes: 'gauge',
        spec_depth: 'gauge',
      },
      text,
    );
    assert.match(text, /^# UNIT gen_ai_server_time_to_first_token_seconds seconds$/m);
    assert.doesNotMatch(text, /^# UNIT spec_tokens_total/m, 'an annotation is no unit');
    const le = [
      ...text.matchAll(/^gen_ai_server_time_to_first_token_seconds_bucket\{.*le="([^"]+)"\} (\d+)/gm),
    ];
    assert.deepEqual(
      le.map((m) => [m[1], Number(m[2])]),
      [
        ['0.001', 0],
        ['0.5', 1],
        ['10', 1],
        ['+Inf', 1],
      ],
    );
    assert.match(text, /^spec_usage_ratio\{[^}]*\} 0\.25$/m);
  } finally {
    await meters.shutdown();
  }
});
