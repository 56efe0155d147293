import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { credentials, Metadata } from '@grpc/grpc-js';
import { ElementType, VisionServiceClient } from '@internvl/contracts';
import type { SpanRecord } from '@internvl/telemetry';
import { embedRemote } from '@internvl/tier-clients';
import { CLI, FIXTURE_SERVER } from './support/paths';
import { startServer } from './support/processes';
import { buildTinyModel, TINY_MODEL_NAME } from './support/tiny-model';

function readSpans(file: string): SpanRecord[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as SpanRecord);
}

let model: string;
before(async () => {
  model = await buildTinyModel();
});

/** Metadata carrying a fresh W3C traceparent, and its trace and parent span ids. */
function traced(): { metadata: Metadata; traceId: string; parentSpanId: string } {
  const traceId = randomBytes(16).toString('hex');
  const parentSpanId = randomBytes(8).toString('hex');
  const metadata = new Metadata();
  metadata.set('traceparent', `00-${traceId}-${parentSpanId}-01`);
  return { metadata, traceId, parentSpanId };
}

test('one trace id spans client → server (process 1) → downstream server (process 2)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'internvl-trace-'));
  const downstreamFile = join(dir, 'downstream.jsonl');
  const relayFile = join(dir, 'relay.jsonl');
  const downstream = await startServer(CLI, ['serve', 'vision', '--port', '0', '--model', model], {
    INTERNVL_TRACE_FILE: downstreamFile,
  });
  const relay = await startServer(
    FIXTURE_SERVER,
    ['--port', '0', '--downstream', `127.0.0.1:${downstream.port}`],
    { INTERNVL_TRACE_FILE: relayFile },
  );

  const { metadata, traceId, parentSpanId } = traced();
  const client = new VisionServiceClient(`127.0.0.1:${relay.port}`, credentials.createInsecure());
  const answer = await new Promise<string>((resolve, reject) =>
    client.getVisionInfo({}, metadata, (err, res) => (err ? reject(err) : resolve(res.modelName))),
  );
  assert.equal(
    answer,
    `relay(${TINY_MODEL_NAME})`,
    'the relay reached the downstream vision tier, which answered with its model',
  );
  client.close();
  await relay.stop();
  await downstream.stop();

  const relaySpans = readSpans(relayFile).filter((s) => s.traceId === traceId);
  const downstreamSpans = readSpans(downstreamFile).filter((s) => s.traceId === traceId);
  const relayServer = relaySpans.find((s) => s.kind === 1 && s.name.includes('GetVisionInfo'));
  const relayClient = relaySpans.find((s) => s.kind === 2 && s.name.includes('GetVisionInfo'));
  const downstreamServer = downstreamSpans.find((s) => s.kind === 1 && s.name.includes('GetVisionInfo'));
  assert.ok(
    relayServer,
    `relay server span with the caller's trace id: ${JSON.stringify(readSpans(relayFile))}`,
  );
  assert.equal(relayServer.parentSpanId, parentSpanId, 'relay server span is a child of the caller span');
  assert.ok(relayClient, 'relay client span for the downstream call');
  assert.ok(
    downstreamServer,
    `downstream server span with the same trace id: ${JSON.stringify(readSpans(downstreamFile))}`,
  );
  assert.equal(
    downstreamServer.parentSpanId,
    relayClient.spanId,
    'downstream span is a child of the relay client span',
  );
});

test('vision: an Embed call has a vision.queue span then a vision.run span, both under its server span', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'internvl-trace-')), 'vision.jsonl');
  const vision = await startServer(CLI, ['serve', 'vision', '--port', '0', '--model', model], {
    INTERNVL_TRACE_FILE: file,
  });
  const { metadata, traceId } = traced();
  const client = new VisionServiceClient(`127.0.0.1:${vision.port}`, credentials.createInsecure());
  const tile = Buffer.alloc(3 * 448 * 448 * 2);
  const r = await embedRemote(
    client,
    {
      pixels: { bytes: tile, shape: [1, 3, 448, 448], dtype: ElementType.ELEMENT_TYPE_FLOAT16 },
      outputDtype: ElementType.ELEMENT_TYPE_FLOAT16,
    },
    { metadata },
  );
  assert.equal(r.result.numTiles, 1);
  client.close();
  await vision.stop();

  const spans = readSpans(file).filter((s) => s.traceId === traceId);
  const server = spans.find((s) => s.kind === 1 && s.name.includes('Embed'));
  const queue = spans.find((s) => s.name === 'vision.queue');
  const run = spans.find((s) => s.name === 'vision.run');
  assert.ok(server && queue && run, `spans of the call: ${JSON.stringify(spans)}`);
  assert.equal(queue.parentSpanId, server.spanId);
  assert.equal(run.parentSpanId, server.spanId);
  assert.equal(queue.attributes['internvl.vision.tiles'], 1);
  assert.equal(run.attributes['internvl.vision.batch.tiles'], 1);
  assert.ok(run.startMs >= queue.startMs + queue.durationMs - 1, 'the run starts when the queue wait ends');
});
