import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { METRIC_BUCKETS, PROMETHEUS_NAME } from '@internvl/service-kit';
import { assistant, chatClient, chatInput, streamChat, user } from './support/chat-calls';
import { FIXTURES, REPO_ROOT } from './support/paths';
import { startStack, type Stack } from './support/stack';
import { buildTinyModel, TINY_MODEL_NAME } from './support/tiny-model';

type Tier = keyof typeof PROMETHEUS_NAME;
const TIERS = Object.keys(PROMETHEUS_NAME) as Tier[];

/** Our own metric families; the SDK's `target_info` and anything else are not documented here. */
const OURS = /^(internvl|gen_ai)_/;

/** Labels every sample carries (the instrumentation scope) and the histogram bucket label. */
const COMMON_LABELS = new Set(['otel_scope_name', 'otel_scope_version', 'otel_scope_schema_url', 'le']);

/** The bucket boundaries each histogram must export (`le` values, `+Inf` aside). */
const BUCKETS: Record<string, readonly number[]> = {
  [PROMETHEUS_NAME.gateway.requestDuration]: METRIC_BUCKETS.requestDuration,
  [PROMETHEUS_NAME.gateway.timeToFirstToken]: METRIC_BUCKETS.timeToFirstToken,
  [PROMETHEUS_NAME.preprocess.duration]: METRIC_BUCKETS.step,
  [PROMETHEUS_NAME.vision.batchTiles]: METRIC_BUCKETS.batchSize,
  [PROMETHEUS_NAME.vision.batchRequests]: METRIC_BUCKETS.batchSize,
  [PROMETHEUS_NAME.vision.queueWait]: METRIC_BUCKETS.step,
  [PROMETHEUS_NAME.vision.runDuration]: METRIC_BUCKETS.step,
  [PROMETHEUS_NAME.llm.timeToFirstToken]: METRIC_BUCKETS.timeToFirstToken,
  [PROMETHEUS_NAME.llm.timePerOutputToken]: METRIC_BUCKETS.timePerOutputToken,
  [PROMETHEUS_NAME.llm.requestDuration]: METRIC_BUCKETS.requestDuration,
  [PROMETHEUS_NAME.llm.queueTime]: METRIC_BUCKETS.requestDuration,
  [PROMETHEUS_NAME.llm.stepSequences]: METRIC_BUCKETS.batchSize,
  [PROMETHEUS_NAME.llm.stepDuration]: METRIC_BUCKETS.timePerOutputToken,
};

interface Sample {
  name: string;
  labels: Record<string, string>;
}

/** One tier's scrape: metric families (`# TYPE`) and samples. */
interface Scrape {
  types: Map<string, string>;
  samples: Sample[];
}

function parseScrape(text: string): Scrape {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1]!, type[2]!);
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+$/.exec(line);
    if (sample) {
      const labels = Object.fromEntries(
        [...(sample[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]),
      );
      samples.push({ name: sample[1]!, labels });
    }
  }
  return { types, samples };
}

/** The samples of a family (a histogram's are its `_bucket`, `_sum` and `_count` series). */
function samplesOf(scrape: Scrape, family: string): Sample[] {
  const series = new Set([family, `${family}_bucket`, `${family}_sum`, `${family}_count`]);
  return scrape.samples.filter((s) => series.has(s.name));
}

/** A documented metric: a row of a README table between `<!-- metrics:TIER -->` markers. */
interface DocRow {
  name: string;
  type: string;
  labels: string[];
}

/** The README's metric tables, by tier. */
function readmeTables(readme: string): Map<string, DocRow[]> {
  const tables = new Map<string, DocRow[]>();
  for (const m of readme.matchAll(/<!-- metrics:(\w+) -->\n([\s\S]*?)<!-- \/metrics:\1 -->/g)) {
    const rows = m[2]!
      .trim()
      .split('\n')
      .map((line) =>
        line
          .replace(/^\||\|$/g, '')
          .split('|')
          .map((cell) => cell.trim()),
      );
    const [header, , ...body] = rows;
    const column = (title: string) => {
      const i = header!.indexOf(title);
      assert.ok(i >= 0, `the ${m[1]} table has a ${title} column`);
      return i;
    };
    const [name, type, labels] = [column('Metric'), column('Type'), column('Labels')];
    const ticked = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((t) => t[1]!);
    tables.set(
      m[1]!,
      body.map((cells) => ({
        name: ticked(cells[name]!)[0]!,
        type: cells[type]!,
        labels: ticked(cells[labels]!),
      })),
    );
  }
  return tables;
}

describe('metrics: scraping each tier returns the documented names with units and the GenAI buckets', () => {
  let stack: Stack;
  const scrapes = new Map<Tier, Scrape>();
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const docs = readmeTables(readme);

  before(async () => {
    stack = await startStack(await buildTinyModel());
    // An image chat and its second round over gRPC (the re-sent image is a vision cache hit),
    // and one chat streamed over HTTP: every metric has samples.
    const client = chatClient(stack.gatewayAddress);
    try {
      const image = readFileSync(join(FIXTURES, 'images', 'image1.jpg'));
      const question = user('Describe the image.', [image]);
      const answer = await streamChat(client, chatInput([question]));
      assert.ok(answer.tokenIds.length > 1, 'more than one token, so time per output token has a sample');
      await streamChat(client, chatInput([question, assistant(answer.text), user('What else?')]));
    } finally {
      client.close();
    }
    const res = await fetch(`${stack.httpBase}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: TINY_MODEL_NAME,
        stream: true,
        max_tokens: 8,
        messages: [{ role: 'user', content: 'Hello' }],
      }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    await res.text();
    for (const tier of TIERS) {
      const port = stack[tier].metricsPort;
      assert.ok(port, `${tier} serves /metrics`);
      const scrape = await fetch(`http://127.0.0.1:${port}/metrics`);
      assert.equal(scrape.status, 200);
      scrapes.set(tier, parseScrape(await scrape.text()));
    }
  });
  after(() => stack?.stop());

  test('each tier exports exactly the names of its README table and of PROMETHEUS_NAME, with their types', () => {
    assert.deepEqual([...docs.keys()].sort(), [...TIERS].sort(), 'one README table per tier');
    for (const tier of TIERS) {
      const exported = [...scrapes.get(tier)!.types].filter(([name]) => OURS.test(name));
      const documented = docs.get(tier)!;
      assert.deepEqual(
        exported.map(([name]) => name).sort(),
        documented.map((row) => row.name).sort(),
        `${tier}: exported (actual) vs README (expected)`,
      );
      assert.deepEqual(
        documented.map((row) => row.name).sort(),
        Object.values<string>(PROMETHEUS_NAME[tier]).sort(),
        `${tier}: README vs PROMETHEUS_NAME`,
      );
      for (const row of documented)
        assert.equal(scrapes.get(tier)!.types.get(row.name), row.type, `${tier}: type of ${row.name}`);
    }
  });

  test('counters end in _total; durations are histograms in seconds; histograms have samples', () => {
    for (const tier of TIERS) {
      for (const [name, type] of scrapes.get(tier)!.types) {
        if (!OURS.test(name)) continue;
        if (type === 'counter') assert.match(name, /_total$/, name);
        if (/duration|_time|wait/.test(name)) {
          assert.equal(type, 'histogram', name);
          assert.match(name, /_seconds$/, name);
        }
        if (type === 'histogram')
          assert.ok(samplesOf(scrapes.get(tier)!, name).length > 0, `${name} has samples`);
      }
    }
  });

  test('histograms carry their buckets: the GenAI advice for TTFT, TPOT and request duration', () => {
    const histograms = TIERS.flatMap((tier) =>
      [...scrapes.get(tier)!.types]
        .filter(([name, type]) => OURS.test(name) && type === 'histogram')
        .map(([name]) => ({ tier, name })),
    );
    assert.deepEqual(histograms.map((h) => h.name).sort(), Object.keys(BUCKETS).sort());
    for (const { tier, name } of histograms) {
      const buckets = scrapes.get(tier)!.samples.filter((s) => s.name === `${name}_bucket`);
      // The `le` values of each label set, in order.
      const series = new Map<string, string[]>();
      for (const b of buckets) {
        const { le, ...rest } = b.labels;
        const key = JSON.stringify(rest);
        series.set(key, [...(series.get(key) ?? []), le!]);
      }
      assert.ok(series.size > 0, name);
      for (const les of series.values())
        assert.deepEqual(les, [...BUCKETS[name]!.map(String), '+Inf'], `${name} buckets`);
    }
    // Spelled out once, as an operator reads them.
    const ttft = scrapes
      .get('llm')!
      .samples.filter((s) => s.name === `${PROMETHEUS_NAME.llm.timeToFirstToken}_bucket`);
    assert.equal(ttft[0]!.labels.le, '0.001');
    assert.equal(ttft.at(-2)!.labels.le, '10');
    const duration = scrapes
      .get('llm')!
      .samples.filter((s) => s.name === `${PROMETHEUS_NAME.llm.requestDuration}_bucket`);
    assert.equal(duration.at(-2)!.labels.le, '81.92');
  });

  test('labels: each documented label is exported, and each exported label documented', () => {
    for (const tier of TIERS) {
      for (const row of docs.get(tier)!) {
        const exported = new Set(
          samplesOf(scrapes.get(tier)!, row.name).flatMap((s) => Object.keys(s.labels)),
        );
        for (const label of COMMON_LABELS) exported.delete(label);
        assert.deepEqual([...exported].sort(), [...row.labels].sort(), `${tier}: labels of ${row.name}`);
      }
    }
    // The gateway's route and status, from the two chats above.
    const requests = samplesOf(scrapes.get('gateway')!, PROMETHEUS_NAME.gateway.requests).map(
      (s) => `${s.labels.internvl_gateway_route} ${s.labels.internvl_gateway_status}`,
    );
    assert.ok(requests.includes('/internvl.v1.ChatService/StreamChat OK'), requests.join('\n'));
    assert.ok(requests.includes('POST /v1/chat/completions 200'), requests.join('\n'));
  });

  test('every internvl_ or gen_ai_ name the README mentions is an exported metric, series or label', () => {
    const known = new Set<string>();
    for (const scrape of scrapes.values()) {
      for (const s of scrape.samples) {
        known.add(s.name);
        for (const label of Object.keys(s.labels)) known.add(label);
      }
      for (const name of scrape.types.keys()) known.add(name);
    }
    const mentioned = new Set(
      [...readme.matchAll(/\b(?:internvl|gen_ai)_[a-z0-9_]*[a-z0-9]/g)].map((m) => m[0]),
    );
    assert.deepEqual(
      [...mentioned].filter((name) => !known.has(name)),
      [],
      'README names that no tier exports',
    );
  });
});
