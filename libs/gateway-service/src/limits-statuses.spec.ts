import { strict as assert } from 'node:assert';
import { after, before, describe, test } from 'node:test';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { ChatInput, ChatServiceClient, generationParams, type GenerationParams } from '@internvl/contracts';
import { runService, type RunningService } from '@internvl/service-kit';
import { createGatewayApp, type GatewayRuntime } from './gateway-app';
import { chat, FakeStack, image, text, user } from './testing/chat-fixtures';

// Issue #13 (4)-(6): permanent errors are 400 / INVALID_ARGUMENT (never 429, which clients retry),
// out-of-range numbers are refused naming the field (never 500 / INTERNAL), and whatever the
// gateway accepted at its door can be forwarded to the tiers.

let stack: FakeStack;
let service: RunningService;
let runtime: GatewayRuntime;
let client: ChatServiceClient;
let url: string;

before(async () => {
  stack = await FakeStack.start();
  const { preprocess, vision, llm } = stack.servers;
  let ready: GatewayRuntime | undefined;
  service = await runService(createGatewayApp({ onReady: (r) => (ready = r) }), {
    argv: [
      ...['--port', '0', '--http-port', '0', '--metrics-port', '-1', '--log-level', 'silent'],
      ...['--preprocess-addr', preprocess.address, '--vision-addr', vision.address],
      ...['--llm-addr', llm.address, '--max-total-tiles', '4', '--max-images', '2'],
    ],
    env: {},
  });
  assert.ok(ready);
  runtime = ready;
  client = new ChatServiceClient(`127.0.0.1:${service.port}`, credentials.createInsecure(), {
    'grpc.max_send_message_length': -1,
  });
  url = `http://127.0.0.1:${runtime.httpPort}/v1/chat/completions`;
});
after(async () => {
  client.close();
  await service.stop('test over');
  stack.stop();
});

interface HttpError {
  status: number;
  error: { message: string; type: string; param: string | null; code: string | null };
}

async function post(body: unknown): Promise<HttpError> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { error: HttpError['error'] };
  return { status: res.status, error: json.error };
}

const png = (content: string) => `data:image/png;base64,${Buffer.from(content).toString('base64')}`;
const imagePart = (content: string) => ({ type: 'image_url', image_url: { url: png(content) } });
const ask = (content: unknown, extra: Record<string, unknown> = {}) => ({
  model: runtime.modelName,
  messages: [{ role: 'user', content }],
  ...extra,
});

/** A unary Chat over the raw bytes `request` (an encoded ChatRequest). */
function chatRaw(request: Uint8Array): Promise<ServiceError> {
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(
      '/internvl.v1.ChatService/Chat',
      (r: Uint8Array) => Buffer.from(r),
      (b: Buffer) => b,
      request,
      new Metadata(),
      {},
      (err) => (err ? resolve(err) : reject(new Error('the call succeeded'))),
    ),
  );
}

function chatCall(input: ChatInput): Promise<ServiceError> {
  return new Promise((resolve, reject) =>
    client.chat({ input }, (err) => (err ? resolve(err) : reject(new Error('the call succeeded')))),
  );
}

describe('(4) over-limit input is a permanent 400 / INVALID_ARGUMENT naming the limit and option', () => {
  test('max_total_tiles over HTTP is 400, not 429 rate_limit_exceeded', async () => {
    const res = await post(
      ask([imagePart('tiles=3 a'), imagePart('tiles=3 b'), { type: 'text', text: 'hi' }]),
    );
    assert.equal(res.status, 400, res.error.message);
    assert.equal(res.error.type, 'invalid_request_error');
    assert.match(res.error.message, /over the limit of 4 \(max_total_tiles\).*--max-total-tiles/);
  });

  test('max_images over HTTP is 400 and over gRPC INVALID_ARGUMENT', async () => {
    const three = [imagePart('a'), imagePart('b'), imagePart('c'), { type: 'text', text: 'hi' }];
    const res = await post(ask(three));
    assert.equal(res.status, 400, res.error.message);
    assert.match(res.error.message, /--max-images/);
    const err = await chatCall(chat(user(image('a'), image('b'), image('c'), text('hi'))));
    assert.equal(err.code, status.INVALID_ARGUMENT, err.details);
    assert.match(err.details, /max_images/);
  });

  test('a full queue of a tier stays 429 rate_limit_exceeded (transient: worth a retry)', async () => {
    const res = await post(ask([imagePart('busy'), { type: 'text', text: 'hi' }]));
    assert.equal(res.status, 429, res.error.message);
    assert.equal(res.error.code, 'rate_limit_exceeded');
  });
});

describe('(5) out-of-range numbers are refused naming the field', () => {
  const cases: Array<[string, unknown]> = [
    ['max_tokens', 2 ** 31],
    ['max_completion_tokens', 2 ** 40],
    ['top_k', 2 ** 32],
    ['repetition_penalty', 1e300],
    ['repetition_penalty', 101],
    ['length_penalty', 1e300],
    ['seed', 2 ** 64],
  ];
  for (const [field, value] of cases) {
    test(`HTTP ${field} = ${value} is 400 with param ${field}`, async () => {
      const res = await post(ask('hi', { [field]: value }));
      assert.equal(res.status, 400, res.error.message);
      assert.equal(res.error.param, field);
      assert.match(res.error.message, new RegExp(field));
    });
  }

  test('gRPC seed 2^64-1 is INVALID_ARGUMENT naming seed, not INTERNAL', async () => {
    const input = ChatInput.encode(chat(user(text('hi')))).finish();
    const seed = new BinaryWriter().uint32(48).uint64('18446744073709551615').finish();
    const params = new BinaryWriter().uint32(18).bytes(seed).finish();
    const request = new BinaryWriter()
      .uint32(10)
      .bytes(new Uint8Array([...input, ...params]))
      .finish();
    const err = await chatRaw(request);
    assert.equal(err.code, status.INVALID_ARGUMENT, err.details);
    assert.match(err.details, /seed/);
  });

  test('gRPC non-finite or out-of-range floats are INVALID_ARGUMENT naming the field', async () => {
    const bad: Array<[string, Partial<GenerationParams>]> = [
      ['repetition_penalty', { repetitionPenalty: Infinity }],
      ['repetition_penalty', { repetitionPenalty: 1000 }],
      ['temperature', { temperature: Number.NaN }],
      ['top_p', { topP: Infinity }],
      ['length_penalty', { lengthPenalty: -Infinity }],
    ];
    for (const [field, params] of bad) {
      const input = { ...chat(user(text('hi'))), params: generationParams(params) };
      const err = await chatCall(input);
      assert.equal(err.code, status.INVALID_ARGUMENT, `${field}: ${err.details}`);
      assert.match(err.details, new RegExp(field));
    }
  });
});

describe('(6) what the gateway accepts at its door it can forward to the llm tier', () => {
  // 20 MB of text: within the gateway's 64 MiB body and message limits, over the 16 MiB the
  // gateway's tier clients used to send. "too long" makes the fake llm answer OUT_OF_RANGE (as the
  // real one does for a prompt over its context) once it has received the whole text.
  const big = `too long ${'x'.repeat(20_000_000)}`;

  test('over HTTP: the llm gets the text; the answer is a 400, never 429/500', async () => {
    const before = stack.llm.calls.length;
    const res = await post(ask(big));
    assert.equal(res.status, 400, res.error.message);
    assert.equal(stack.llm.calls.length, before + 1, 'the llm tier received the chat');
  });

  test('over gRPC: the llm gets the text; OUT_OF_RANGE, never RESOURCE_EXHAUSTED/INTERNAL', async () => {
    const before = stack.llm.calls.length;
    const err = await chatCall(chat(user(text(big))));
    assert.equal(err.code, status.OUT_OF_RANGE, err.details);
    assert.equal(stack.llm.calls.length, before + 1, 'the llm tier received the chat');
  });
});
