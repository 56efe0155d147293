import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import {
  KV_CACHE_KIND,
  METRIC_ATTR,
  METRIC_BUCKETS,
  METRIC_NAME,
  PROMETHEUS_NAME,
  SCOPE_NAME,
  SPAN_ATTR,
  SPAN_NAME,
  TOKEN_TYPE,
} from './semconv';

/**
 * The GenAI convention names this stack may emit, as @opentelemetry/semantic-conventions 1.45
 * spells them (experimental attributes and metrics). A `gen_ai.*` name not listed is a typo or
 * a name of our own in the GenAI namespace.
 */
const GEN_AI_NAMES = new Set([
  'gen_ai.operation.name',
  'gen_ai.provider.name',
  'gen_ai.request.model',
  'gen_ai.request.max_tokens',
  'gen_ai.request.temperature',
  'gen_ai.request.top_p',
  'gen_ai.request.top_k',
  'gen_ai.request.seed',
  'gen_ai.request.stop_sequences',
  'gen_ai.response.id',
  'gen_ai.response.model',
  'gen_ai.response.finish_reasons',
  'gen_ai.token.type',
  'gen_ai.usage.input_tokens',
  'gen_ai.usage.output_tokens',
  'gen_ai.usage.cache_read.input_tokens',
  'gen_ai.usage.cache_creation.input_tokens',
  'gen_ai.client.token.usage',
  'gen_ai.client.operation.duration',
  'gen_ai.server.request.duration',
  'gen_ai.server.time_per_output_token',
  'gen_ai.server.time_to_first_token',
]);

const TIERS = Object.keys(SCOPE_NAME);

/** Every string leaf of a nested `as const` group. */
function names(group: object): string[] {
  return Object.values(group).flatMap((v) => (typeof v === 'string' ? [v] : names(v as object)));
}

const groups = {
  SCOPE_NAME: names(SCOPE_NAME),
  SPAN_NAME: names(SPAN_NAME),
  SPAN_ATTR: names(SPAN_ATTR),
  METRIC_NAME: names(METRIC_NAME),
  METRIC_ATTR: names(METRIC_ATTR),
  PROMETHEUS_NAME: names(PROMETHEUS_NAME),
};

function duplicates(values: string[]): string[] {
  return values.filter((v, i) => values.indexOf(v) !== i);
}

test('each name is defined once in its group', () => {
  for (const [group, values] of Object.entries(groups)) assert.deepEqual(duplicates(values), [], group);
});

test('no two metrics or labels collide once Prometheus turns dots into underscores', () => {
  const prometheus = (n: string) => n.replace(/[^a-zA-Z0-9_]/g, '_');
  assert.deepEqual(duplicates(groups.METRIC_NAME.map(prometheus)), []);
  assert.deepEqual(duplicates(groups.METRIC_ATTR.map(prometheus)), []);
});

test('each Prometheus name is its metric name with a unit suffix and _total on counters', () => {
  const tiers = Object.keys(METRIC_NAME) as (keyof typeof METRIC_NAME)[];
  assert.deepEqual(Object.keys(PROMETHEUS_NAME), tiers);
  for (const tier of tiers) {
    const metrics = METRIC_NAME[tier] as Record<string, string>;
    const prometheus = PROMETHEUS_NAME[tier] as Record<string, string>;
    assert.deepEqual(Object.keys(prometheus), Object.keys(metrics), tier);
    for (const [key, name] of Object.entries(metrics)) {
      const base = name.replace(/[^a-zA-Z0-9_]/g, '_');
      assert.match(prometheus[key]!, new RegExp(`^${base}(_seconds|_bytes|_ratio)?(_total)?$`), name);
      // A unit already at the end of the name is not added again.
      assert.doesNotMatch(prometheus[key]!, /_(seconds|bytes|ratio)_\1/, name);
    }
  }
});

test('durations are in seconds: the GenAI server metrics and every *duration*, *time*, *wait* metric', () => {
  const durations = names(PROMETHEUS_NAME).filter((n) => /duration|_time|wait|time_to|time_per/.test(n));
  assert.ok(durations.length >= 9);
  for (const name of durations) assert.match(name, /_seconds$/, name);
});

test('histogram buckets: the GenAI advice for TTFT, TPOT and request duration; all increasing', () => {
  assert.deepEqual([METRIC_BUCKETS.timeToFirstToken[0], METRIC_BUCKETS.timeToFirstToken.at(-1)], [0.001, 10]);
  assert.deepEqual(
    [METRIC_BUCKETS.timePerOutputToken[0], METRIC_BUCKETS.timePerOutputToken.at(-1)],
    [0.01, 2.5],
  );
  // 10 ms doubling 13 times.
  assert.deepEqual(
    METRIC_BUCKETS.requestDuration,
    Array.from({ length: 14 }, (_, i) => Number((0.01 * 2 ** i).toFixed(2))),
  );
  for (const [name, buckets] of Object.entries(METRIC_BUCKETS)) {
    for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]! > buckets[i - 1]!, name);
  }
});

test('every gen_ai.* name is one the GenAI semantic conventions define', () => {
  const genAi = Object.values(groups)
    .flat()
    .filter((n) => n.startsWith('gen_ai.'));
  assert.ok(genAi.length > 0);
  assert.deepEqual(
    genAi.filter((n) => !GEN_AI_NAMES.has(n)),
    [],
  );
  // The GenAI token types, beside the one of our own (a part of `input`).
  assert.equal(TOKEN_TYPE.input, 'input');
  assert.equal(TOKEN_TYPE.output, 'output');
});

test('scopes are internvl.<tier> and span names <tier>.<step>', () => {
  for (const [tier, scope] of Object.entries(SCOPE_NAME)) assert.equal(scope, `internvl.${tier}`);
  for (const [tier, spans] of Object.entries(SPAN_NAME)) {
    assert.ok(TIERS.includes(tier), tier);
    for (const name of names(spans)) assert.match(name, new RegExp(`^${tier}\\.[a-z_]+$`));
  }
});

test('every internvl.* name is under a tier prefix', () => {
  // Kept without its tier: it is the Prometheus label internvl_kv_cache_kind.
  const tierless = new Set<string>([METRIC_ATTR.llm.kvCacheKind]);
  const prefix = new RegExp(`^internvl\\.(${TIERS.join('|')})\\.[a-z_.]+$`);
  const internvl = Object.values(groups)
    .flat()
    .filter((n) => n.startsWith('internvl.') && !tierless.has(n));
  assert.deepEqual(
    internvl.filter((n) => !prefix.test(n) && !Object.values<string>(SCOPE_NAME).includes(n)),
    [],
  );
});

test('attribute values are lower snake case', () => {
  for (const v of [...names(TOKEN_TYPE), ...names(KV_CACHE_KIND)]) assert.match(v, /^[a-z][a-z_]*$/);
});
