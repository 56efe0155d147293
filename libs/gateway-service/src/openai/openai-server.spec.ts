import { strict as assert } from 'node:assert';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { after, before, describe, test } from 'node:test';
import { Metadata, status } from '@grpc/grpc-js';
import { FinishReason, generationParams, Role } from '@internvl/contracts';
import {
  CancelledError,
  DeadlineExceededError,
  InvalidArgumentError,
  UnavailableError,
} from '@internvl/errors';
import { answer, delta, failAfter, hangAfter } from './testing/fake-chat-engine';
import {
  dataUrl,
  errorOf,
  MODEL,
  postJson,
  startTestServer,
  type TestServer,
} from './testing/openai-test-server';
import { TEST_TLS } from './testing/test-tls';

const question = (extra: Record<string, unknown> = {}) => ({
  model: MODEL,
  messages: [{ role: 'user', content: 'Say hello' }],
  ...extra,
});

let server: TestServer;
let chat: string;
before(async () => {
  server = await startTestServer();
  chat = `${server.url}/v1/chat/completions`;
});
after(() => server.close());

/** Opens a streaming request and resolves with the response once its first bytes arrived. */
function openStream(
  url: string,
  body: unknown,
): Promise<{ res: IncomingMessage; first: string; destroy(): void }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json' } },
      (res) => {
        res.once('data', (chunk: Buffer) =>
          resolve({ res, first: chunk.toString(), destroy: () => req.destroy() }),
        );
      },
    );
    req.on('error', () => {});
    req.once('error', reject);
    req.end(JSON.stringify(body));
  });
}

function readRest(res: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    res.on('data', (chunk: Buffer) => (text += chunk.toString()));
    res.once('end', () => resolve(text));
    res.once('error', () => resolve(text));
  });
}

describe('POST /v1/chat/completions maps the request onto the engine', () => {
  test('system prompt, multi-round history, an image data URL and sampling options', async () => {
    const image = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    const response = await postJson(chat, {
      model: MODEL,
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'First question' },
        { role: 'assistant', content: 'First answer' },
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: dataUrl(image) } },
            { type: 'text', text: 'What is this?' },
          ],
        },
      ],
      temperature: 0.5,
      top_p: 0.8,
      seed: 7,
      stop: 'END',
      max_tokens: 32,
      max_num: 3,
    });
    assert.equal(response.status, 200, response.text);
    const input = server.engine.lastInput;
    assert.deepEqual(
      input.messages.map((m) => m.role),
      [Role.ROLE_SYSTEM, Role.ROLE_USER, Role.ROLE_ASSISTANT, Role.ROLE_USER],
    );
    assert.deepEqual(input.messages[1].content, [{ part: { $case: 'text', value: 'First question' } }]);
    const [imagePart, textPart] = input.messages[3].content;
    assert.equal(imagePart.part?.$case, 'image');
    if (imagePart.part?.$case === 'image') {
      assert.deepEqual(imagePart.part.value.data, image);
      assert.equal(imagePart.part.value.tiling?.maxTiles, 3);
    }
    assert.deepEqual(textPart, { part: { $case: 'text', value: 'What is this?' } });
    assert.deepEqual(
      input.params,
      generationParams({
        maxNewTokens: 32,
        temperature: 0.5,
        topP: 0.8,
        repetitionPenalty: undefined,
        presencePenalty: undefined,
        frequencyPenalty: undefined,
        seed: 7,
        stop: ['END'],
      }),
    );
  });

  test('X-Request-Timeout-Ms becomes the engine deadline', async () => {
    const before = Date.now();
    const response = await postJson(chat, question(), { 'x-request-timeout-ms': '60000' });
    assert.equal(response.status, 200);
    const deadline = server.engine.runs.at(-1)?.options.deadline;
    assert.ok(deadline instanceof Date);
    assert.ok(deadline.getTime() >= before + 60_000 && deadline.getTime() <= Date.now() + 60_000);
    const bad = await postJson(chat, question(), { 'x-request-timeout-ms': 'soon' });
    assert.equal(bad.status, 400);
    assert.match(errorOf(bad).message, /X-Request-Timeout-Ms/);
  });
});

describe('stream=false answers with one chat.completion', () => {
  test('the body has OpenAI’s shape, the text joined and the usage totalled', async () => {
    const response = await postJson(chat, question());
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    const body = response.json as { id: string; created: number };
    assert.match(body.id, /^chatcmpl-[0-9a-f]{24}$/);
    assert.equal(response.headers.get('x-request-id'), body.id);
    assert.ok(Number.isInteger(body.created));
    assert.deepEqual(body, {
      id: body.id,
      object: 'chat.completion',
      created: body.created,
      model: MODEL,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Hello, world' },
          finish_reason: 'stop',
          logprobs: null,
        },
      ],
      usage: {
        prompt_tokens: 12,
        completion_tokens: 3,
        total_tokens: 15,
        prompt_tokens_details: { cached_tokens: 0, image_tokens: 0 },
      },
    });
  });

  test("a length finish is 'length'; a cancelled finish or a missing finish is an error", async (t) => {
    t.after(() => (server.engine.script = answer(['Hello', ', world'])));
    server.engine.script = answer(['cut'], FinishReason.FINISH_REASON_LENGTH);
    const length = await postJson(chat, question());
    assert.equal(
      (length.json as { choices: { finish_reason: string }[] }).choices[0].finish_reason,
      'length',
    );
    server.engine.script = answer(['cut'], FinishReason.FINISH_REASON_CANCELLED);
    assert.equal((await postJson(chat, question())).status, 499);
    server.engine.script = async function* () {
      yield delta('no finish');
    };
    const missing = await postJson(chat, question());
    assert.equal(missing.status, 500);
    assert.equal(errorOf(missing).type, 'server_error');
  });
});

describe('stream=true answers with server-sent chat.completion.chunk events', () => {
  const head = (text: string) => {
    const first = JSON.parse(text.split('\n\n')[0].slice('data: '.length)) as { id: string; created: number };
    return { id: first.id, object: 'chat.completion.chunk', created: first.created, model: MODEL };
  };
  const choice = (delta: object, finishReason: string | null = null) => ({
    index: 0,
    delta,
    logprobs: null,
    finish_reason: finishReason,
  });
  const sse = (events: object[]) =>
    events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('') + 'data: [DONE]\n\n';

  test('the exact bytes: role chunk, content chunks, finish chunk, [DONE]', async () => {
    const response = await postJson(chat, question({ stream: true }));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    assert.equal(response.headers.get('cache-control'), 'no-cache');
    const h = head(response.text);
    assert.equal(response.headers.get('x-request-id'), h.id);
    assert.equal(
      response.text,
      sse([
        { ...h, choices: [choice({ role: 'assistant', content: '' })] },
        { ...h, choices: [choice({ content: 'Hello' })] },
        { ...h, choices: [choice({ content: ', world' })] },
        { ...h, choices: [choice({}, 'stop')] },
      ]),
    );
  });

  test('include_usage: usage null on every chunk, then a usage chunk with no choices', async () => {
    const response = await postJson(
      chat,
      question({ stream: true, stream_options: { include_usage: true } }),
    );
    const h = head(response.text);
    assert.equal(
      response.text,
      sse([
        { ...h, choices: [choice({ role: 'assistant', content: '' })], usage: null },
        { ...h, choices: [choice({ content: 'Hello' })], usage: null },
        { ...h, choices: [choice({ content: ', world' })], usage: null },
        { ...h, choices: [choice({}, 'stop')], usage: null },
        {
          ...h,
          choices: [],
          usage: {
            prompt_tokens: 12,
            completion_tokens: 3,
            total_tokens: 15,
            prompt_tokens_details: { cached_tokens: 0, image_tokens: 0 },
          },
        },
      ]),
    );
  });

  test('deltas with no text (an incomplete character) send no chunk', async (t) => {
    t.after(() => (server.engine.script = answer(['Hello', ', world'])));
    server.engine.script = answer(['', 'é', '']);
    const response = await postJson(chat, question({ stream: true }));
    assert.equal(response.text.split('\n\n').filter((e) => e.includes('"content":"é"')).length, 1);
    assert.equal(response.text.split('data: ').length - 1, 4);
  });

  test('a failure before the first event is a plain HTTP error; after it, an error event and no [DONE]', async (t) => {
    t.after(() => (server.engine.script = answer(['Hello', ', world'])));
    server.engine.script = failAfter([], new InvalidArgumentError('the image could not be decoded'));
    const early = await postJson(chat, question({ stream: true }));
    assert.equal(early.status, 400);
    assert.deepEqual(early.json, {
      error: {
        message: 'the image could not be decoded',
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    });

    const downstream = Object.assign(new Error('14 UNAVAILABLE'), {
      code: status.UNAVAILABLE,
      details: 'llm tier unreachable',
      metadata: new Metadata(),
    });
    server.engine.script = failAfter([delta('Hel')], downstream);
    const late = await postJson(chat, question({ stream: true }));
    assert.equal(late.status, 200);
    const events = late.text.split('\n\n').filter(Boolean);
    assert.equal(events.length, 3);
    assert.deepEqual(JSON.parse(events[2].slice('data: '.length)), {
      error: {
        message: 'llm tier unreachable',
        type: 'server_error',
        param: null,
        code: 'service_unavailable',
      },
    });
    assert.ok(!late.text.includes('[DONE]'));
  });

  test('a client that disconnects mid-stream aborts the engine run', async (t) => {
    t.after(() => (server.engine.script = answer(['Hello', ', world'])));
    server.engine.script = hangAfter([delta('Hel')]);
    const started = server.engine.nextRun();
    const stream = await openStream(chat, question({ stream: true }));
    assert.match(stream.first, /^data: /);
    const run = await started;
    assert.equal(run.aborted, false);
    stream.destroy();
    await run.abortedPromise;
    assert.ok(run.abortReason instanceof CancelledError);
  });

  test('a client that disconnects while waiting for a whole answer aborts it too', async (t) => {
    t.after(() => (server.engine.script = answer(['Hello', ', world'])));
    server.engine.script = hangAfter([]);
    const started = server.engine.nextRun();
    const req = httpRequest(chat, { method: 'POST', headers: { 'content-type': 'application/json' } });
    req.on('error', () => {});
    req.end(JSON.stringify(question()));
    const run = await started;
    req.destroy();
    await run.abortedPromise;
    assert.ok(run.abortReason instanceof CancelledError);
  });

  test('an expired X-Request-Timeout-Ms aborts the run and answers 504', async (t) => {
    t.after(() => (server.engine.script = answer(['Hello', ', world'])));
    server.engine.script = hangAfter([]);
    const response = await postJson(chat, question(), { 'x-request-timeout-ms': '50' });
    assert.equal(response.status, 504);
    assert.match(errorOf(response).message, /did not finish within its 50 ms timeout/);
    assert.ok(server.engine.runs.at(-1)?.abortReason instanceof DeadlineExceededError);
  });
});

describe('bad requests get OpenAI-shaped 4xx errors', () => {
  test('bad JSON, missing messages, n out of range and an unknown model', async () => {
    const badJson = await postJson(chat, '{"model": ');
    assert.equal(badJson.status, 400);
    assert.match(errorOf(badJson).message, /not valid JSON/);
    assert.equal(errorOf(badJson).type, 'invalid_request_error');

    const noMessages = await postJson(chat, { model: MODEL });
    assert.equal(noMessages.status, 400);
    assert.deepEqual(errorOf(noMessages), {
      message: "'messages' must be a non-empty array",
      type: 'invalid_request_error',
      param: 'messages',
      code: null,
    });

    const n2 = await postJson(chat, question({ n: 17 }));
    assert.equal(n2.status, 400);
    assert.equal(errorOf(n2).param, 'n');

    const otherModel = await postJson(chat, question({ model: 'gpt-4o' }));
    assert.equal(otherModel.status, 404);
    assert.equal(errorOf(otherModel).code, 'model_not_found');
  });

  test('a remote image URL is refused with how to enable it, before the engine runs', async () => {
    const runs = server.engine.runs.length;
    const response = await postJson(chat, {
      model: MODEL,
      messages: [
        {
          role: 'user',
          content: [{ type: 'image_url', image_url: { url: 'http://169.254.169.254/latest' } }],
        },
      ],
    });
    assert.equal(response.status, 400);
    assert.match(errorOf(response).message, /Remote image URLs are turned off.*--remote-image-hosts/);
    assert.equal(errorOf(response).param, 'messages[0].content[0].image_url.url');
    assert.equal(server.engine.runs.length, runs);
  });

  test('too many images names the limit', async () => {
    const image = { type: 'image_url', image_url: { url: dataUrl(Buffer.from('x')) } };
    const response = await postJson(
      chat,
      question({ messages: [{ role: 'user', content: [image, image, image] }] }),
    );
    assert.equal(response.status, 400);
    assert.match(errorOf(response).message, /3 images; the limit is 2/);
  });

  test('a body over maxBodyBytes is a 413 naming the limit, declared or chunked', async () => {
    const big = question({ messages: [{ role: 'user', content: 'x'.repeat(70 * 1024) }] });
    const declared = await postJson(chat, big);
    assert.equal(declared.status, 413);
    assert.match(errorOf(declared).message, /exceeds the limit of 65536 bytes/);
    assert.equal(errorOf(declared).code, 'request_too_large');

    const chunked = await new Promise<{ status?: number; text: string }>((resolve, reject) => {
      const req = httpRequest(chat, { method: 'POST', headers: { 'transfer-encoding': 'chunked' } }, (res) =>
        readRest(res).then((text) => resolve({ status: res.statusCode, text })),
      );
      req.once('error', reject);
      const text = JSON.stringify(big);
      req.write(text.slice(0, 40_000));
      req.end(text.slice(40_000));
    });
    assert.equal(chunked.status, 413);
    assert.match(chunked.text, /exceeds the limit of 65536 bytes/);
  });
});

describe('other routes', () => {
  test('GET /v1/models lists the served model; GET /v1/models/{id} returns it', async () => {
    const list = await fetch(`${server.url}/v1/models`);
    const body = (await list.json()) as { data: { created: number }[] };
    assert.deepEqual(body, {
      object: 'list',
      data: [{ id: MODEL, object: 'model', created: body.data[0].created, owned_by: 'internvl' }],
    });
    const one = await fetch(`${server.url}/v1/models/${MODEL}`);
    assert.deepEqual(await one.json(), body.data[0]);
    const missing = await fetch(`${server.url}/v1/models/other`);
    assert.equal(missing.status, 404);
  });

  test('GET /health is ok', async () => {
    const response = await fetch(`${server.url}/health`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ok' });
  });

  test('an unknown route is a 404 and a wrong method a 405 with Allow, both OpenAI-shaped', async () => {
    const unknown = await fetch(`${server.url}/v1/completions`, { method: 'POST' });
    assert.equal(unknown.status, 404);
    const notFound = (await unknown.json()) as { error: { message: string; type: string } };
    assert.match(notFound.error.message, /Invalid URL \(POST \/v1\/completions\)/);
    assert.equal(notFound.error.type, 'invalid_request_error');

    const wrong = await fetch(chat);
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get('allow'), 'POST, OPTIONS');
    const body = (await wrong.json()) as { error: { code: string } };
    assert.equal(body.error.code, 'method_not_allowed');
  });

  test('HEAD of a GET route answers like GET without a body; OPTIONS lists the methods (issue #13)', async () => {
    for (const path of ['/health', '/v1/models']) {
      const get = await fetch(`${server.url}${path}`);
      const head = await fetch(`${server.url}${path}`, { method: 'HEAD' });
      assert.equal(head.status, 200, path);
      assert.equal(head.headers.get('content-type'), get.headers.get('content-type'));
      assert.equal(head.headers.get('content-length'), get.headers.get('content-length'));
      assert.equal(await head.text(), '');
      await get.arrayBuffer();
    }
    const options = await fetch(`${server.url}/health`, { method: 'OPTIONS' });
    assert.equal(options.status, 204);
    assert.equal(options.headers.get('allow'), 'GET, HEAD, OPTIONS');
    const chatOptions = await fetch(chat, { method: 'OPTIONS' });
    assert.equal(chatOptions.status, 204);
    assert.equal(chatOptions.headers.get('allow'), 'POST, OPTIONS');
  });
});

describe('API keys', () => {
  let secured: TestServer;
  before(async () => (secured = await startTestServer({ apiKeys: ['sk-right'] })));
  after(() => secured.close());

  test('missing or wrong keys are 401 invalid_api_key; the right key passes; /health needs none', async () => {
    const url = `${secured.url}/v1/chat/completions`;
    const missing = await postJson(url, question());
    assert.equal(missing.status, 401);
    assert.equal(missing.headers.get('www-authenticate'), 'Bearer');
    assert.deepEqual(
      { type: errorOf(missing).type, code: errorOf(missing).code },
      { type: 'invalid_request_error', code: 'invalid_api_key' },
    );
    const wrong = await postJson(url, question(), { authorization: 'Bearer sk-wrong' });
    assert.equal(wrong.status, 401);
    assert.match(errorOf(wrong).message, /invalid API key/);
    assert.equal(secured.engine.runs.length, 0);

    const right = await postJson(url, question(), { authorization: 'Bearer sk-right' });
    assert.equal(right.status, 200);
    assert.equal((await fetch(`${secured.url}/v1/models`)).status, 401);
    assert.equal((await fetch(`${secured.url}/health`)).status, 200);
  });
});

describe('lifecycle', () => {
  test('close() aborts in-flight streams, which end with a 503 error event, and resolves', async () => {
    const own = await startTestServer();
    own.engine.script = hangAfter([delta('Hel')]);
    const started = own.engine.nextRun();
    const stream = await openStream(`${own.url}/v1/chat/completions`, question({ stream: true }));
    const rest = readRest(stream.res);
    const run = await started;
    await own.close();
    assert.ok(run.abortReason instanceof UnavailableError);
    const text = stream.first + (await rest);
    assert.match(text, /data: \{"error":\{"message":"the server is shutting down","type":"server_error"/);
    assert.ok(!text.includes('[DONE]'));
  });

  test('TLS: with a certificate the API is served over https', async () => {
    const own = await startTestServer({ tls: TEST_TLS });
    try {
      assert.match(own.url, /^https:/);
      const body = await new Promise<string>((resolve, reject) => {
        const req = httpsRequest(`${own.url}/health`, { ca: TEST_TLS.cert, servername: 'localhost' }, (res) =>
          readRest(res).then(resolve),
        );
        req.once('error', reject);
        req.end();
      });
      assert.deepEqual(JSON.parse(body), { status: 'ok' });
    } finally {
      await own.close();
    }
  });
});
