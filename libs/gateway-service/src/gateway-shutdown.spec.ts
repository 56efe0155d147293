import { strict as assert } from 'node:assert';
import { connect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { FakeStack } from './testing/chat-fixtures';
import { Barrier } from './testing/fake-server';
import { startGateway } from './testing/start-gateway';

let stack: FakeStack;
before(async () => {
  stack = await FakeStack.start();
});
after(() => stack.stop());

const streamBody = (question: string) =>
  JSON.stringify({ model: 'fake-internvl', stream: true, messages: [{ role: 'user', content: question }] });

/** A raw keep-alive HTTP/1.1 connection: send requests, read everything until the server closes it. */
async function rawConnection(
  port: number,
): Promise<{ socket: Socket; text: () => string; closed: Promise<void> }> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, text: () => text, closed };
}

const post = (body: string) =>
  `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
  `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

async function until(what: string, check: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * A gateway that drains for up to 5 s, with one streamed chat in flight on `stream` that the fake
 * llm holds until release(); close() force-stops the gateway and lets the llm answer freely again.
 */
async function gatewayWithHeldStream() {
  const { service, runtime } = await startGateway(stack, ['--shutdown-timeout-ms', '5000']);
  const barrier = new Barrier(2);
  stack.llm.barrier = barrier;
  const close = async () => {
    stack.llm.barrier = undefined;
    await service.stop('test over', true);
  };
  try {
    const calls = stack.llm.calls.length;
    const stream = await rawConnection(runtime.httpPort);
    stream.socket.write(post(streamBody('tell me')));
    await until('the stream to reach the llm', () => stack.llm.calls.length === calls + 1);
    return { service, runtime, stream, release: () => void barrier.wait(), close };
  } catch (err) {
    await close();
    throw err;
  }
}

test('stop (SIGTERM) drains HTTP: a stream in flight finishes with [DONE]; new requests are refused', async () => {
  const { service, runtime, stream, release, close } = await gatewayWithHeldStream();
  try {
    const idle = await rawConnection(runtime.httpPort);
    idle.socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    await until('the health answer', () => idle.text().includes('\r\n\r\n'));

    const stopped = service.stop('SIGTERM');
    await sleep(800); // twice the ~0.4 s after which streams used to be cut

    await assert.rejects(fetch(`http://127.0.0.1:${runtime.httpPort}/health`), 'the listener is closed');
    assert.ok(!stream.text().includes('[DONE]'), 'the stream is still waiting for the llm');

    release(); // the llm answers now
    await stream.closed;
    const text = stream.text();
    assert.match(text, /^HTTP\/1\.1 200/);
    assert.match(text, /" done"/);
    assert.match(text, /"finish_reason":"stop"/);
    assert.match(text, /data: \[DONE\]/);
    assert.ok(!text.includes('shutting down'));
    await stopped;
    await idle.closed; // the idle kept-alive socket was closed by the drain
  } finally {
    await close();
  }
});

test('a new request on a kept-alive socket during the drain gets 503 and Connection: close', async () => {
  const { service, stream, release, close } = await gatewayWithHeldStream();
  try {
    // A pipelined request behind the stream on the same socket arrives during the drain.
    const stopped = service.stop('SIGTERM');
    await sleep(300);
    stream.socket.write('GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n');
    await sleep(100);
    release();
    await stream.closed;
    const [first, second] = stream.text().split(/(?=HTTP\/1\.1 )/);
    assert.match(first!, /^HTTP\/1\.1 200/);
    assert.match(first!, /data: \[DONE\]/);
    assert.match(second!, /^HTTP\/1\.1 503/);
    assert.match(second!, /connection: close/i);
    assert.match(second!, /the server is shutting down/);
    await stopped;
  } finally {
    await close();
  }
});

test('a stream still running at --shutdown-timeout-ms is aborted then, not before', async () => {
  const { service, runtime } = await startGateway(stack, ['--shutdown-timeout-ms', '700']);
  try {
    const stream = await rawConnection(runtime.httpPort);
    stream.socket.write(post(streamBody('hang')));
    await until('the first chunk', () => stream.text().includes('thinking'));
    const began = Date.now();
    await service.stop('SIGTERM');
    await stream.closed;
    const ms = Date.now() - began;
    assert.ok(ms >= 600, `aborted after ${ms} ms`);
    assert.match(stream.text(), /data: \{"error":\{"message":"the server is shutting down"/);
    assert.ok(!stream.text().includes('[DONE]'));
  } finally {
    await service.stop('test over', true);
  }
});
