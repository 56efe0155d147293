import { strict as assert } from 'node:assert';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import {
  FinishReason,
  type BatchChatResponse,
  type ChatInput,
  type ChatResponse,
  type ChatServiceClient,
  type StreamChatResponse,
} from '@internvl/contracts';
import { chat, echoOf, FakeStack, image, startChatService, text, user } from '../testing/chat-fixtures';
import { Barrier } from '../testing/fake-server';

let stack: FakeStack;
let service: Awaited<ReturnType<typeof startChatService>>;
beforeEach(async () => {
  stack = await FakeStack.start();
  service = await startChatService(stack.engine(), { apiKeys: [], maxBatchInputs: 4, batchConcurrency: 4 });
});
afterEach(async () => {
  await service.stop();
  stack.stop();
});

function callChat(client: ChatServiceClient, input: ChatInput | undefined, metadata = new Metadata()) {
  return new Promise<ChatResponse>((resolve, reject) =>
    client.chat({ input }, metadata, (err, res) => (err ? reject(err) : resolve(res))),
  );
}

function callBatch(client: ChatServiceClient, inputs: ChatInput[]) {
  return new Promise<BatchChatResponse>((resolve, reject) =>
    client.batchChat({ inputs }, (err, res) => (err ? reject(err) : resolve(res))),
  );
}

function streamEvents(client: ChatServiceClient, input: ChatInput, returnPrompt = false) {
  return new Promise<StreamChatResponse[]>((resolve, reject) => {
    const events: StreamChatResponse[] = [];
    const call = client.streamChat({ input, returnPrompt });
    call.on('data', (e: StreamChatResponse) => events.push(e));
    call.on('error', reject);
    call.on('end', () => resolve(events));
  });
}

const failsWith = (code: status, details: RegExp) => (err: unknown) => {
  assert.equal((err as ServiceError).code, code, String(err));
  assert.match((err as ServiceError).details, details);
  return true;
};

describe('ChatService over fake tiers', () => {
  test('StreamChat streams prompt, deltas and finish', async () => {
    const events = await streamEvents(service.client, chat(user(image('tiles=2 x'), text('what?'))), true);
    assert.deepEqual(
      events.map((e) => e.kind?.$case),
      ['prompt', 'delta', 'delta', 'finish'],
    );
    assert.equal(echoOf(events).images[0]!.numTiles, 2);
  });

  test('Chat gathers the text, the token ids and the finish', async () => {
    const response = await callChat(service.client, chat(user(text('hello'))));
    assert.equal(echoOf(response.text).turns[0]!.text, 'hello');
    assert.ok(response.text.endsWith(' done'));
    assert.deepEqual(response.tokenIds, [1, 2, 3]);
    assert.equal(response.finish?.reason, FinishReason.FINISH_REASON_STOP);
    assert.deepEqual(response.finish?.usage, {
      promptTokens: 10,
      imageTokens: 0,
      completionTokens: 3,
      cachedTokens: 0,
    });
  });

  test('a request without input is INVALID_ARGUMENT', async () => {
    await assert.rejects(
      callChat(service.client, undefined),
      failsWith(status.INVALID_ARGUMENT, /input is required/),
    );
  });

  test('downstream errors reach the client with their code and message', async () => {
    await assert.rejects(
      callChat(service.client, chat(user(text('a'), image('bad')))),
      failsWith(status.INVALID_ARGUMENT, /^image 1 \(message 1, part 2\): cannot decode/),
    );
    stack.servers.preprocess.stop();
    await assert.rejects(
      callChat(service.client, chat(user(image('x')))),
      failsWith(status.UNAVAILABLE, /^the preprocess tier is unavailable$/),
    );
  });

  test('BatchChat runs inputs concurrently and answers in input order', async () => {
    // The llm fake answers only once all three generate at once, and then in reverse order.
    stack.llm.barrier = new Barrier(3);
    const questions = ['first', 'second', 'third'];
    const response = await callBatch(
      service.client,
      questions.map((q, i) => chat(user(image(`tiles=${i + 1} img${i}`), text(q)))),
    );
    assert.deepEqual(
      response.results.map((r) => [echoOf(r.text).turns[0]!.text, echoOf(r.text).images[0]!.numTiles]),
      [
        ['first', 1],
        ['second', 2],
        ['third', 3],
      ],
    );
  });

  test('a failing BatchChat input gets its own status, naming the input; too many inputs fail the call', async () => {
    const response = await callBatch(service.client, [
      chat(user(text('ok'))),
      chat(),
      chat(user(text('ok'))),
    ]);
    assert.deepEqual(
      response.statuses.map((s) => s.code),
      [status.OK, status.INVALID_ARGUMENT, status.OK],
    );
    assert.match(response.statuses[1]!.message, /^input 2 of 3: the chat has no messages/);
    await assert.rejects(
      callBatch(
        service.client,
        Array.from({ length: 5 }, () => chat(user(text('x')))),
      ),
      failsWith(status.INVALID_ARGUMENT, /5 inputs, over the limit of 4 \(max_batch_inputs\)/),
    );
  });

  test('a client cancelling StreamChat cancels the llm call', async () => {
    const call = service.client.streamChat({ input: chat(user(text('hang'))), returnPrompt: false });
    call.on('error', () => {}); // CANCELLED, expected
    await new Promise<void>((resolve) => call.once('data', () => resolve()));
    call.cancel();
    await stack.llm.cancelled();
  });

  test("the client's deadline ends the chat with DEADLINE_EXCEEDED and stops the llm", async () => {
    const call = service.client.streamChat(
      { input: chat(user(text('hang'))), returnPrompt: false },
      { deadline: Date.now() + 1_000 },
    );
    const err = await new Promise<ServiceError>((resolve) => {
      call.on('data', () => {});
      call.on('error', resolve);
    });
    assert.equal(err.code, status.DEADLINE_EXCEEDED);
    await stack.llm.cancelled();
  });
});

describe('ChatService with API keys', () => {
  let secured: Awaited<ReturnType<typeof startChatService>>;
  beforeEach(async () => {
    secured = await startChatService(stack.engine(), { apiKeys: ['k-1', 'k-2'], maxBatchInputs: 4 });
  });
  afterEach(() => secured.stop());

  const bearer = (value?: string) => {
    const metadata = new Metadata();
    if (value !== undefined) metadata.set('authorization', value);
    return metadata;
  };

  test('a missing or wrong key is UNAUTHENTICATED; a right one passes', async () => {
    const input = chat(user(text('hi')));
    await assert.rejects(
      callChat(secured.client, input, bearer()),
      failsWith(status.UNAUTHENTICATED, /missing API key/),
    );
    await assert.rejects(
      callChat(secured.client, input, bearer('Bearer k-3')),
      failsWith(status.UNAUTHENTICATED, /invalid API key/),
    );
    const ok = await callChat(secured.client, input, bearer('Bearer k-2'));
    assert.equal(ok.finish?.reason, FinishReason.FINISH_REASON_STOP);
    assert.equal(stack.llm.calls.length, 1, 'refused calls never reached a tier');
  });

  test('StreamChat and BatchChat are behind the keys too', async () => {
    await assert.rejects(
      streamEvents(secured.client, chat(user(text('hi')))),
      failsWith(status.UNAUTHENTICATED, /missing API key/),
    );
    await assert.rejects(
      callBatch(secured.client, [chat(user(text('hi')))]),
      failsWith(status.UNAUTHENTICATED, /missing/),
    );
  });
});
