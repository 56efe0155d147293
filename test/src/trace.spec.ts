import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { credentials, Metadata } from '@grpc/grpc-js';
import { VisionServiceClient } from '@internvl/contracts';
import type { SpanRecord } from '@internvl/telemetry';
import { CLI, FIXTURE_SERVER } from './support/paths';
import { startServer } from './support/processes';

function readSpans(file: string): SpanRecord[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as SpanRecord);
}

test('one trace id spans client → server (process 1) → downstream server (process 2)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'internvl-trace-'));
  const downstreamFile = join(dir, 'downstream.jsonl');
  const relayFile = join(dir, 'relay.jsonl');
  const downstream = await startServer(CLI, ['serve', 'vision', '--port', '0'], {
    INTERNVL_TRACE_FILE: downstreamFile,
  });
  const relay = await startServer(
    FIXTURE_SERVER,
    ['--port', '0', '--downstream', `127.0.0.1:${downstream.port}`],
    { INTERNVL_TRACE_FILE: relayFile },
  );

  const traceId = randomBytes(16).toString('hex');
  const parentSpanId = randomBytes(8).toString('hex');
  const metadata = new Metadata();
  metadata.set('traceparent', `00-${traceId}-${parentSpanId}-01`);
  const client = new VisionServiceClient(`127.0.0.1:${relay.port}`, credentials.createInsecure());
  const answer = await new Promise<string>((resolve, reject) =>
    client.getVisionInfo({}, metadata, (err, res) => (err ? reject(err) : resolve(res.modelName))),
  );
  assert.equal(
    answer,
    'relay(error 12)',
    'the relay reached the downstream vision tier (UNIMPLEMENTED there)',
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
