import { strict as assert } from 'node:assert';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { answer, delta, events, finish } from './testing/fake-chat-engine';
import { MODEL, startTestServer } from './testing/openai-test-server';

const BODY = JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'Say hello' }] });

interface RawClient {
  socket: Socket;
  /** Resolves when the server closes the connection: what it sent and after how long. */
  closed: Promise<{ text: string; ms: number }>;
}

function rawClient(url: string): Promise<RawClient> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(Number(port), '127.0.0.1', () => resolve({ socket, closed }));
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.once('error', reject);
    const closed = new Promise<{ text: string; ms: number }>((done) =>
      socket.once('close', () => done({ text, ms: Date.now() - started })),
    );
  });
}

/** Writes `text` one byte every `everyMs` until the socket closes. */
async function trickle(socket: Socket, text: string, everyMs: number): Promise<void> {
  for (const ch of text) {
    if (socket.destroyed || socket.writableEnded) return;
    socket.write(ch);
    await sleep(everyMs);
  }
}

const head = (extra = '') =>
  `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
  `Content-Length: ${BODY.length}\r\n${extra}\r\n`;

test('headers sent byte by byte are cut after headersTimeoutMs with a 408', async () => {
  const server = await startTestServer({ headersTimeoutMs: 300, requestTimeoutMs: 5_000 });
  try {
    const client = await rawClient(server.url);
    void trickle(client.socket, head() + BODY, 50);
    const { text, ms } = await client.closed;
    assert.match(text, /^HTTP\/1\.1 408/);
    assert.ok(ms < 1_200, `cut after ${ms} ms`);
    assert.equal(server.engine.runs.length, 0);
  } finally {
    await server.close();
  }
});

test('a body sent byte by byte is cut after requestTimeoutMs with a 408', async () => {
  const server = await startTestServer({ headersTimeoutMs: 300, requestTimeoutMs: 700 });
  try {
    const client = await rawClient(server.url);
    client.socket.write(head());
    void trickle(client.socket, BODY, 50);
    const { text, ms } = await client.closed;
    assert.match(text, /^HTTP\/1\.1 408/);
    assert.ok(ms >= 600 && ms < 1_700, `cut after ${ms} ms`);
    assert.equal(server.engine.runs.length, 0);
  } finally {
    await server.close();
  }
});

test('X-Request-Timeout-Ms applies while the body is read: 504 and the connection closed', async () => {
  const server = await startTestServer();
  try {
    const client = await rawClient(server.url);
    client.socket.write(head('X-Request-Timeout-Ms: 400\r\n'));
    void trickle(client.socket, BODY, 50);
    const { text, ms } = await client.closed;
    assert.match(text, /^HTTP\/1\.1 504/);
    assert.match(text, /within its 400 ms timeout/);
    assert.ok(ms >= 350 && ms < 1_500, `cut after ${ms} ms`);
    assert.equal(server.engine.runs.length, 0);
  } finally {
    await server.close();
  }
});

test('a stream that outlasts requestTimeoutMs is not cut (the request itself arrived in time)', async () => {
  const server = await startTestServer({ headersTimeoutMs: 200, requestTimeoutMs: 300 });
  server.engine.script = async function* () {
    for (const word of ['one', ' two', ' three']) {
      yield delta(word);
      await sleep(300);
    }
    yield* events([finish()]);
  };
  try {
    const client = await rawClient(server.url);
    const body = JSON.stringify({ ...JSON.parse(BODY), stream: true });
    client.socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    const { text } = await client.closed;
    assert.match(text, /^HTTP\/1\.1 200/);
    assert.match(text, /three/);
    assert.match(text, /data: \[DONE\]/);
  } finally {
    await server.close();
  }
});

test('maxConnections bounds open connections: one more is closed unanswered', async () => {
  const server = await startTestServer({ maxConnections: 2 });
  server.engine.script = answer(['hi']);
  try {
    const held = [await rawClient(server.url), await rawClient(server.url)];
    const extra = await rawClient(server.url);
    extra.socket.write(head() + BODY);
    const { text } = await extra.closed;
    assert.equal(text, '');
    held[0]!.socket.write(head('Connection: close\r\n') + BODY);
    assert.match((await held[0]!.closed).text, /^HTTP\/1\.1 200/);
    held[1]!.socket.destroy();
  } finally {
    await server.close();
  }
});
