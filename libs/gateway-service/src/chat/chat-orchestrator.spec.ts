import { strict as assert } from 'node:assert';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { Metadata, status } from '@grpc/grpc-js';
import { ElementType, FinishReason, TilingOptions, generationParams } from '@internvl/contracts';
import {
  CancelledError,
  DeadlineExceededError,
  InvalidArgumentError,
  LimitExceededError,
  UnavailableError,
} from '@internvl/errors';
import {
  assistant,
  chat,
  drain,
  echoOf,
  FakeStack,
  image,
  system,
  text,
  user,
} from '../testing/chat-fixtures';
import { fakeContentHash } from '../testing/fake-preprocess';
import { Barrier } from '../testing/fake-server';
import { KEY_MARK_BYTES } from '../testing/fake-vision';
import type { ChatRunOptions } from './chat-engine';

let stack: FakeStack;
beforeEach(async () => {
  stack = await FakeStack.start();
});
afterEach(() => stack.stop());

const run = (extra: Partial<ChatRunOptions> = {}): ChatRunOptions => ({
  signal: new AbortController().signal,
  ...extra,
});

/** The vision cache key the fake preprocess gives an image sent with default tiling. */
const keyOf = (content: string, maxTiles = 12) =>
  fakeContentHash(content, TilingOptions.fromPartial({ maxTiles })).slice(0, KEY_MARK_BYTES);

function grpcCode(err: unknown): number | undefined {
  return (err as { code?: number }).code;
}

describe('ChatOrchestrator over fake tiers', () => {
  test('messages become the llm conversation; images go preprocess → vision (fp16) → llm', async () => {
    const input = chat(
      system(text('Be terse.')),
      user(text('Look:'), image('tiles=2 cat'), image('tiles=3 dog', { maxTiles: 4 }), text('compare')),
      assistant(text('A cat and a dog.')),
      user(text('Which is bigger?')),
    );
    input.params = generationParams({ maxNewTokens: 77 });
    const events = await drain(stack.engine().stream(input, run()));

    assert.deepEqual(
      events.map((e) => e.kind?.$case),
      ['delta', 'delta', 'finish'],
      'no prompt event unless asked',
    );
    const echo = echoOf(events);
    assert.equal(echo.systemMessage, 'Be terse.');
    assert.deepEqual(echo.turns, [
      { role: 'ROLE_USER', text: 'Look:\ncompare' },
      { role: 'ROLE_ASSISTANT', text: 'A cat and a dog.' },
      { role: 'ROLE_USER', text: 'Which is bigger?' },
    ]);
    assert.equal(echo.maxNewTokens, 77, 'generation params pass through');
    assert.deepEqual(echo.images, [
      {
        numTiles: 2,
        dtype: ElementType.ELEMENT_TYPE_FLOAT16,
        shape: [512, 4],
        bytes: 512 * 4 * 2,
        key: keyOf('tiles=2 cat'),
      },
      {
        numTiles: 3,
        dtype: ElementType.ELEMENT_TYPE_FLOAT16,
        shape: [768, 4],
        bytes: 768 * 4 * 2,
        key: keyOf('tiles=3 dog', 4),
      },
    ]);
    assert.deepEqual(
      stack.preprocess.calls.map((c) => c.options.maxTiles),
      [12, 4],
      'a zero max_tiles takes default_max_tiles',
    );
    assert.ok(stack.vision.calls.every((c) => c.outputDtype === ElementType.ELEMENT_TYPE_FLOAT16));
    const finish = events[2]!.kind;
    assert.ok(finish?.$case === 'finish');
    assert.equal(finish.value.reason, FinishReason.FINISH_REASON_STOP);
    assert.equal(finish.value.usage?.imageTokens, 5 * 256);
  });

  test('the prompt event is sent only when asked for', async () => {
    const events = await drain(stack.engine().stream(chat(user(text('hi'))), run({ returnPrompt: true })));
    assert.deepEqual(events[0]!.kind, { $case: 'prompt', value: { text: 'PROMPT', inputIds: [1, 2] } });
  });

  test('images are preprocessed in parallel and keep their order whatever order they finish in', async () => {
    // The barrier lets the calls go only once all three wait at once, and then in reverse order.
    stack.preprocess.barrier = new Barrier(3);
    const input = chat(user(image('tiles=1 a'), image('tiles=2 b'), image('tiles=3 c'), text('?')));
    const events = await drain(
      stack.engine().stream(input, run({ deadline: new Date(Date.now() + 20_000) })),
    );
    assert.equal(stack.preprocess.maxInFlight, 3);
    assert.deepEqual(
      echoOf(events).images.map((i) => [i.numTiles, i.key]),
      [
        [1, keyOf('tiles=1 a')],
        [2, keyOf('tiles=2 b')],
        [3, keyOf('tiles=3 c')],
      ],
    );
  });

  test('a re-sent image is found by the key the gateway computes: no preprocessing, no pixels', async () => {
    const engine = stack.engine();
    const input = chat(user(image('tiles=2 cat'), text('what is it?')));
    await drain(engine.stream(input, run()));
    await drain(engine.stream(input, run()));
    const key = fakeContentHash('tiles=2 cat', TilingOptions.fromPartial({ maxTiles: 12 }));
    assert.deepEqual(
      stack.vision.calls.map((c) => [c.cacheKey, c.pixelBytes]),
      [
        [key, undefined],
        [key, 2 * 24],
        [key, undefined],
      ],
      'probe (miss), pixels, then probe (hit) for the same image',
    );
    assert.equal(stack.preprocess.calls.length, 1, 'the second chat preprocessed nothing');
    assert.deepEqual(
      stack.preprocess.calls[0]!.options,
      TilingOptions.fromPartial({
        minTiles: 1,
        maxTiles: 12,
        imageSize: 448,
        useThumbnail: true,
        dtype: ElementType.ELEMENT_TYPE_FLOAT16,
      }),
      'every option the key covers is sent, none left to the tier default',
    );
  });

  test('with image_cache_lookup off every image is preprocessed; vision still answers from its cache', async () => {
    const engine = stack.engine({}, { imageCacheLookup: false });
    const input = chat(user(image('tiles=2 cat'), text('what is it?')));
    const first = echoOf(await drain(engine.stream(input, run())));
    const second = echoOf(await drain(engine.stream(input, run())));
    assert.deepEqual(second, first);
    assert.equal(stack.preprocess.calls.length, 2);
    assert.deepEqual(
      stack.vision.calls.map((c) => c.pixelBytes),
      [2 * 24, 2 * 24],
    );
  });

  test('more images than max_images is refused before any tier is called', async () => {
    const input = chat(user(image('a'), image('b'), image('c'), text('?')));
    await assert.rejects(drain(stack.engine({ maxImages: 2 }).stream(input, run())), (err: unknown) => {
      assert.ok(err instanceof LimitExceededError);
      assert.match(err.message, /3 images, over the limit of 2 \(max_images\)/);
      return true;
    });
    assert.equal(stack.preprocess.calls.length, 0);
  });

  test('more tiles than max_total_tiles is refused after preprocessing, before any pixels reach vision', async () => {
    const input = chat(user(image('tiles=5 a'), image('tiles=5 b'), text('?')));
    await assert.rejects(drain(stack.engine({ maxTotalTiles: 8 }).stream(input, run())), (err: unknown) => {
      assert.ok(err instanceof LimitExceededError);
      assert.match(
        err.message,
        /2 images make 10 tiles \(5 \+ 5\), over the limit of 8 \(max_total_tiles\).*--max-total-tiles/,
      );
      return true;
    });
    assert.deepEqual(
      stack.vision.calls.map((c) => c.pixelBytes),
      [undefined, undefined],
      'only the cache probes',
    );
    assert.equal(stack.llm.calls.length, 0);
  });

  test('an image preprocess refuses is INVALID_ARGUMENT naming the image', async () => {
    const input = chat(user(text('compare'), image('tiles=1 ok'), image('bad')));
    await assert.rejects(drain(stack.engine().stream(input, run())), (err: unknown) => {
      assert.ok(err instanceof InvalidArgumentError);
      assert.equal(err.message, 'image 2 (message 1, part 3): cannot decode the image: not a picture');
      return true;
    });
    assert.equal(stack.llm.calls.length, 0);
  });

  test('other downstream codes keep their code (RESOURCE_EXHAUSTED, OUT_OF_RANGE)', async () => {
    const engine = stack.engine();
    await assert.rejects(
      drain(engine.stream(chat(user(image('busy'), text('?'))), run())),
      (err: unknown) => {
        assert.equal(grpcCode(err), status.RESOURCE_EXHAUSTED);
        assert.match((err as Error).message, /image 1 \(message 1, part 1\): the preprocess queue is full/);
        return true;
      },
    );
    await assert.rejects(drain(engine.stream(chat(user(text('too long'))), run())), (err: unknown) => {
      assert.equal(grpcCode(err), status.OUT_OF_RANGE);
      return true;
    });
  });

  test('a stopped tier is UNAVAILABLE naming the tier but not its address', async () => {
    const engine = stack.engine();
    stack.servers.vision.stop();
    await assert.rejects(drain(engine.stream(chat(user(image('x'), text('?'))), run())), (err: unknown) => {
      assert.ok(err instanceof UnavailableError);
      assert.equal(err.message, 'the vision tier is unavailable');
      return true;
    });
    stack.servers.llm.stop();
    await assert.rejects(drain(engine.stream(chat(user(text('hi'))), run())), (err: unknown) => {
      assert.ok(err instanceof UnavailableError);
      assert.equal(err.message, 'the llm tier is unavailable');
      return true;
    });
  });

  test("the caller's abort cancels the llm call", async () => {
    const controller = new AbortController();
    const events = stack.engine().stream(chat(user(text('hang'))), run({ signal: controller.signal }));
    const iterator = events[Symbol.asyncIterator]();
    const first = await iterator.next();
    assert.equal(first.value?.kind?.$case, 'delta');
    controller.abort(new CancelledError('the client went away'));
    await assert.rejects(iterator.next(), CancelledError);
    await stack.llm.cancelled();
    assert.equal(stack.llm.cancellations, 1);
  });

  test('a consumer that stops reading cancels the llm call', async () => {
    for await (const event of stack.engine().stream(chat(user(text('hang'))), run())) {
      assert.equal(event.kind?.$case, 'delta');
      break;
    }
    await stack.llm.cancelled();
  });

  test('the deadline reaches every tier; without one the default timeout applies', async () => {
    const deadline = new Date(Date.now() + 60_000);
    await drain(stack.engine().stream(chat(user(image('x'), text('?'))), run({ deadline })));
    const seen = [
      stack.preprocess.calls[0]!.deadline,
      stack.vision.calls[0]!.deadline,
      stack.llm.calls[0]!.deadline,
    ];
    for (const d of seen) {
      assert.ok(d, 'a deadline arrived');
      // gRPC sends a relative timeout, so the tier's deadline is the caller's shifted by transit time.
      assert.ok(
        Math.abs(d.getTime() - deadline.getTime()) < 10_000,
        `${d.toISOString()} vs ${deadline.toISOString()}`,
      );
    }
    await drain(stack.engine({}, { defaultTimeoutMs: 3_600_000 }).stream(chat(user(text('hi'))), run()));
    const defaulted = stack.llm.calls[1]!.deadline;
    assert.ok(
      defaulted && defaulted.getTime() > Date.now() + 3_000_000,
      'the default timeout became the deadline',
    );
    await drain(stack.engine({}, { defaultTimeoutMs: 0 }).stream(chat(user(text('hi'))), run()));
    assert.equal(stack.llm.calls[2]!.deadline, undefined);
  });

  test('a passed deadline fails the chat with DEADLINE_EXCEEDED and stops the llm', async () => {
    const deadline = new Date(Date.now() + 1_000);
    await assert.rejects(
      drain(stack.engine().stream(chat(user(text('hang'))), run({ deadline }))),
      (err: unknown) => {
        assert.ok(
          grpcCode(err) === status.DEADLINE_EXCEEDED || err instanceof DeadlineExceededError,
          String(err),
        );
        return true;
      },
    );
    await stack.llm.cancelled();
  });

  test('only x-request-id of the incoming metadata travels downstream, never the API key', async () => {
    const metadata = new Metadata();
    metadata.set('authorization', 'Bearer s3cret');
    metadata.set('x-request-id', 'req-42');
    await drain(stack.engine().stream(chat(user(text('hi'))), run({ metadata })));
    const seen = stack.llm.calls[0]!.metadata;
    assert.deepEqual(seen.get('x-request-id'), ['req-42']);
    assert.deepEqual(seen.get('authorization'), []);
  });
});
