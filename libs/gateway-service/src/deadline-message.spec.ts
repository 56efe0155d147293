import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import { ChatServiceClient } from '@internvl/contracts';
import { chat, FakeStack, text, user } from './testing/chat-fixtures';
import { startGateway, type StartedGateway } from './testing/start-gateway';

// Issue #13 (11): a tier that does not answer within the chat's deadline is a 504 /
// DEADLINE_EXCEEDED naming the tier, without its address (grpc-js says "remote_addr=host:port").

let stack: FakeStack;
let gateway: StartedGateway;
let client: ChatServiceClient;

before(async () => {
  stack = await FakeStack.start();
  gateway = await startGateway(stack, ['--default-timeout-ms', '300']);
  client = new ChatServiceClient(`127.0.0.1:${gateway.service.port}`, credentials.createInsecure());
});
after(async () => {
  client.close();
  await gateway.service.stop('test over');
  stack.stop();
});

const ADDRESS = /\d+\.\d+\.\d+\.\d+|localhost|:\d{2,5}\b/;

test('over HTTP the 504 names the llm tier and no address', async () => {
  const res = await fetch(`http://127.0.0.1:${gateway.runtime.httpPort}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: gateway.runtime.modelName, messages: [{ role: 'user', content: 'hang' }] }),
  });
  const body = (await res.json()) as { error: { message: string; code: string } };
  assert.equal(res.status, 504);
  assert.equal(body.error.code, 'deadline_exceeded');
  assert.equal(body.error.message, 'the llm tier did not answer in time');
  assert.doesNotMatch(body.error.message, ADDRESS);
});

test('over gRPC the DEADLINE_EXCEEDED names the llm tier and no address', async () => {
  const call = client.streamChat({ input: chat(user(text('hang'))), returnPrompt: false });
  const err = await new Promise<ServiceError>((resolve) => {
    call.on('data', () => {});
    call.on('error', resolve);
  });
  assert.equal(err.code, status.DEADLINE_EXCEEDED);
  assert.equal(err.details, 'the llm tier did not answer in time');
  assert.doesNotMatch(err.details, ADDRESS);
});
