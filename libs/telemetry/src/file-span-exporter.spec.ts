import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { FileSpanExporter, type SpanRecord } from './file-span-exporter';

test('finished spans are appended as JSON lines with trace, span and parent ids', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'spans-')), 'spans.jsonl');
  const provider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(new FileSpanExporter(file, 'svc'))],
  });
  const tracer = provider.getTracer('test');
  const parent = tracer.startSpan('parent');
  const { trace, context } = await import('@opentelemetry/api');
  const child = tracer.startSpan(
    'child',
    { attributes: { 'gen_ai.request.model': 'tiny' } },
    trace.setSpan(context.active(), parent),
  );
  child.end();
  parent.end();
  await provider.forceFlush();
  const records = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as SpanRecord);
  assert.deepEqual(
    records.map((r) => r.name),
    ['child', 'parent'],
  );
  assert.equal(records[0]!.traceId, records[1]!.traceId);
  assert.equal(records[0]!.parentSpanId, records[1]!.spanId);
  assert.equal(records[0]!.service, 'svc');
  assert.equal(records[0]!.attributes['gen_ai.request.model'], 'tiny');
});
