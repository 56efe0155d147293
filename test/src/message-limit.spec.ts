import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import { LlmServiceClient } from '@internvl/contracts';
import { FIXTURE_SERVER } from './support/paths';
import { startServer } from './support/processes';

test('a message over max_receive_message_bytes gets INVALID_ARGUMENT (permanent, not RESOURCE_EXHAUSTED) naming the limit and the option', async () => {
  const server = await startServer(FIXTURE_SERVER, ['--port', '0', '--max-receive-message-bytes', '65536']);
  const client = new LlmServiceClient(`127.0.0.1:${server.port}`, credentials.createInsecure());
  const call = client.generate();
  const err = await new Promise<ServiceError>((resolve) => {
    call.on('error', resolve);
    call.on('data', () => undefined);
    call.write({ kind: { $case: 'embeddingChunk', value: Buffer.alloc(100_000) } });
    call.end();
  });
  assert.equal(err.code, status.INVALID_ARGUMENT);
  assert.match(err.details, /100\d{3} bytes, over the limit of 65536 bytes/);
  assert.match(err.details, /--max-receive-message-bytes or INTERNVL_FIXTURE_MAX_RECEIVE_MESSAGE_BYTES/);

  // A message under the limit on the same server is accepted.
  const ok = client.generate();
  const events: unknown[] = [];
  await new Promise<void>((resolve, reject) => {
    ok.on('data', (e) => events.push(e));
    ok.on('error', reject);
    ok.on('end', resolve);
    ok.write({ kind: { $case: 'embeddingChunk', value: Buffer.alloc(60_000) } });
    ok.end();
  });
  assert.equal(events.length, 1);
  client.close();
  assert.equal(await server.stop(), 0);
});
