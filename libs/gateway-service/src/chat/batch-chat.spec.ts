import { strict as assert } from 'node:assert';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import {
  FinishReason,
  type BatchChatResponse,
  type ChatInput,
  type ChatResponse,
  type ChatServiceClient,
} from '@internvl/contracts';
import { chat, echoOf, FakeStack, image, startChatService, text, user } from '../testing/chat-fixtures';

// BatchChat (issue 13, defect 7): per-input statuses, and bounded admission of a batch's inputs.

const BATCH_CONCURRENCY = 2;

let stack: FakeStack;
let service: Awaited<ReturnType<typeof startChatService>>;
beforeEach(async () => {
  stack = await FakeStack.start();
  const options = { apiKeys: [], maxBatchInputs: 32, batchConcurrency: BATCH_CONCURRENCY };
  service = await startChatService(stack.engine(), options);
});
afterEach(async () => {
  await service.stop();
  stack.stop();
});

function callBatch(client: ChatServiceClient, inputs: ChatInput[]) {
  return new Promise<BatchChatResponse>((resolve, reject) =>
    client.batchChat({ inputs }, (err, res) => (err ? reject(err) : resolve(res))),
  );
}

function callChat(client: ChatServiceClient, input: ChatInput) {
  return new Promise<ChatResponse>((resolve, reject) =>
    client.chat({ input }, (err, res) => (err ? reject(err) : resolve(res))),
  );
}

describe('BatchChat over fake tiers', () => {
  test('a bad input gets its own INVALID_ARGUMENT; the good inputs still answer', async () => {
    const response = await callBatch(service.client, [
      chat(user(image('tiles=2 first'), text('first'))),
      chat(user(text('broken'), image('bad image'))),
      chat(user(text('third'))),
      chat(), // a bad field: no messages
    ]);
    assert.equal(response.results.length, 4);
    assert.deepEqual(
      response.statuses.map((s) => s.code),
      [status.OK, status.INVALID_ARGUMENT, status.OK, status.INVALID_ARGUMENT],
    );
    assert.equal(response.statuses[0]!.message, '');
    assert.match(
      response.statuses[1]!.message,
      /^input 2 of 4: image 1 \(message 1, part 2\): cannot decode/,
    );
    assert.match(response.statuses[3]!.message, /^input 4 of 4: the chat has no messages/);
    assert.equal(echoOf(response.results[0]!.text).turns[0]!.text, 'first');
    assert.equal(echoOf(response.results[0]!.text).images[0]!.numTiles, 2);
    assert.equal(echoOf(response.results[2]!.text).turns[0]!.text, 'third');
    assert.equal(response.results[0]!.finish?.reason, FinishReason.FINISH_REASON_STOP);
    assert.equal(response.results[1]!.finish, undefined, 'a failed input has an empty result');
    assert.equal(response.results[1]!.text, '');
  });

  test('a large batch is admitted a few inputs at a time: it completes, and others get through meanwhile', async () => {
    const inputs = 32;
    const imagesPerInput = 12; // 16 would overflow the fake llm's 4096-token context
    // A small preprocess queue: far less than the 512 images of the batch.
    stack.preprocess.maxQueue = BATCH_CONCURRENCY * imagesPerInput + 8;
    stack.preprocess.delayMs = 15;
    let peakInputs = 0;
    stack.preprocess.onStart = (active) => {
      const batchInputs = new Set([...active].filter((i) => i.startsWith('in')).map((i) => i.split(' ')[0]));
      peakInputs = Math.max(peakInputs, batchInputs.size);
    };
    const batch = callBatch(
      service.client,
      Array.from({ length: inputs }, (_, i) =>
        chat(
          user(
            ...Array.from({ length: imagesPerInput }, (_, j) => image(`in${i} img${j}`)),
            text(`question ${i}`),
          ),
        ),
      ),
    );
    batch.catch(() => {}); // awaited below
    // Another client's chat while the batch runs.
    await new Promise((resolve) => setTimeout(resolve, 60));
    const other = await callChat(service.client, chat(user(image('other'), text('meanwhile'))));
    assert.equal(other.finish?.reason, FinishReason.FINISH_REASON_STOP);

    const response = await batch;
    assert.deepEqual(
      response.statuses.map((s) => s.code),
      Array.from({ length: inputs }, () => status.OK),
    );
    assert.deepEqual(
      response.results.map((r) => echoOf(r.text).turns[0]!.text),
      Array.from({ length: inputs }, (_, i) => `question ${i}`),
    );
    assert.ok(
      peakInputs <= BATCH_CONCURRENCY,
      `at most ${BATCH_CONCURRENCY} inputs at once, saw ${peakInputs}`,
    );
    assert.ok(stack.preprocess.maxInFlight <= stack.preprocess.maxQueue);
  });

  test('a cancelled batch fails as a whole and stops its inputs', async () => {
    const call = service.client.batchChat({ inputs: [chat(user(text('hang')))] }, () => {});
    while (stack.llm.calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    call.cancel();
    await stack.llm.cancelled();
  });
});
