import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { ChatServiceClient } from '@internvl/contracts';
import { chat, FakeStack, text, user } from './testing/chat-fixtures';
import { startGateway, type StartedGateway } from './testing/start-gateway';

let stack: FakeStack;
let gateway: StartedGateway;
before(async () => {
  stack = await FakeStack.start();
  gateway = await startGateway(stack, ['--api-keys', 'k-1']);
});
after(async () => {
  await gateway?.service.stop('test over');
  stack.stop();
});

/** The gRPC refusal (or 'ok') for this authorization value. */
async function grpcAnswer(value: string | undefined): Promise<string> {
  const client = new ChatServiceClient(`127.0.0.1:${gateway.service.port}`, credentials.createInsecure());
  const metadata = new Metadata();
  if (value !== undefined) metadata.set('authorization', value);
  try {
    return await new Promise<string>((resolve, reject) =>
      client.chat({ input: chat(user(text('hi'))) }, metadata, (err) => (err ? reject(err) : resolve('ok'))),
    );
  } catch (err) {
    return (err as ServiceError).details;
  } finally {
    client.close();
  }
}

/** The HTTP refusal message (or 'ok') for this authorization value. */
async function httpAnswer(value: string | undefined): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${gateway.runtime.httpPort}/v1/models`, {
    headers: value === undefined ? {} : { authorization: value },
  });
  if (res.status === 200) return 'ok';
  assert.equal(res.status, 401);
  return ((await res.json()) as { error: { message: string } }).error.message;
}

test('gRPC and HTTP accept and refuse the same authorization values with the same words', async () => {
  for (const value of [undefined, 'Basic k-1', 'Bearer k-2', 'Bearer k-1', 'bearer   k-1', 'Bearer k-1 x']) {
    const [grpc, http] = [await grpcAnswer(value), await httpAnswer(value)];
    assert.equal(grpc, http, `authorization ${JSON.stringify(value)}`);
  }
  assert.equal(await grpcAnswer('Bearer k-2'), 'invalid API key');
});

test('a gRPC key with a trailing space (dropped by HTTP/2 on the way) is refused with the reason', async () => {
  // RFC 9113: a field value must not end in whitespace; Node's HTTP/2 drops such metadata, so the
  // server cannot see it. The refusal says what to check.
  assert.match(await grpcAnswer('Bearer k-1 '), /missing API key.*no spaces around/);
});

test('a configured key with whitespace is refused at start-up, by position, never echoed', async () => {
  await assert.rejects(startGateway(stack, ['--api-keys', 'k-1,not a key']), (err: Error) => {
    assert.match(err.message, /--api-keys \(INTERNVL_GATEWAY_API_KEYS\): key 2 contains whitespace/);
    assert.ok(!err.message.includes('not a key'));
    return true;
  });
});
