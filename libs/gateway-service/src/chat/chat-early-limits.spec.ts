import { strict as assert } from 'node:assert';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { TilingOptions, type ContentPart, type ElementType, type ImageLayout } from '@internvl/contracts';
import { InvalidArgumentError, OutOfRangeError } from '@internvl/errors';
import sharp from 'sharp';
import { chat, drain, FakeStack, image, text, user } from '../testing/chat-fixtures';
import type { ChatRunOptions } from './chat-engine';

// Issue 13, defects 1, 9 and 11: what can be refused from the request and the image headers is
// refused before any image is preprocessed.

let stack: FakeStack;
beforeEach(async () => {
  stack = await FakeStack.start();
});
afterEach(() => stack.stop());

const run = (): ChatRunOptions => ({ signal: new AbortController().signal });

/** A real (black) PNG of the given size: the gateway can read its header. */
async function png(width: number, height: number, tiling?: Partial<TilingOptions>): Promise<ContentPart> {
  const data = await sharp({ create: { width, height, channels: 3, background: '#000' } })
    .png()
    .toBuffer();
  return {
    part: {
      $case: 'image',
      value: { data, tiling: tiling ? TilingOptions.fromPartial(tiling) : undefined },
    },
  };
}

async function refused(
  input: Parameters<ReturnType<FakeStack['engine']>['stream']>[0],
  kind: new (...args: never[]) => Error,
  pattern: RegExp,
  limits: Parameters<FakeStack['engine']>[0] = {},
): Promise<void> {
  await assert.rejects(drain(stack.engine(limits).stream(input, run())), (err: unknown) => {
    assert.ok(err instanceof kind, `${String(err)}`);
    assert.match((err as Error).message, pattern);
    return true;
  });
  assert.equal(stack.preprocess.calls.length, 0, 'no image was preprocessed');
  assert.equal(stack.llm.calls.length, 0);
}

describe('tiling checked against the served model before preprocessing (defect 1)', () => {
  test('tiling.image_size other than the model image size is INVALID_ARGUMENT naming it', async () => {
    await refused(
      chat(user(image('tiles=1 a', { imageSize: 3000 }), text('?'))),
      InvalidArgumentError,
      /image 1 \(message 1, part 1\): tiling\.image_size 3000 .*448/,
    );
  });

  test('tiling.image_size 100000 is INVALID_ARGUMENT, not INTERNAL', async () => {
    await refused(
      chat(user(image('tiles=1 a', { imageSize: 100000 }), text('?'))),
      InvalidArgumentError,
      /tiling\.image_size 100000/,
    );
  });

  test("the model's own image size is accepted", async () => {
    const events = await drain(
      stack.engine().stream(chat(user(image('tiles=1 a', { imageSize: 448 }), text('?'))), run()),
    );
    assert.equal(events.at(-1)?.kind?.$case, 'finish');
  });

  test('tiling.max_tiles over 40, negative min_tiles and max < min are refused naming the field', async () => {
    await refused(
      chat(user(image('tiles=1 a', { maxTiles: 41 }), text('?'))),
      InvalidArgumentError,
      /tiling\.max_tiles 41 .*40/,
    );
    await refused(
      chat(user(image('tiles=1 a', { minTiles: -1 }), text('?'))),
      InvalidArgumentError,
      /tiling\.min_tiles -1/,
    );
    await refused(
      chat(user(image('tiles=1 a', { minTiles: 6, maxTiles: 4 }), text('?'))),
      InvalidArgumentError,
      /tiling\.max_tiles 4 .*tiling\.min_tiles 6/,
    );
  });
});

describe('unknown enum values are refused (defect 11)', () => {
  test('image_layout 99 is INVALID_ARGUMENT naming image_layout', async () => {
    const input = chat(user(text('hi')));
    input.imageLayout = 99 as ImageLayout;
    await refused(input, InvalidArgumentError, /image_layout 99/);
  });

  test('tiling.dtype 99 is INVALID_ARGUMENT naming tiling.dtype', async () => {
    await refused(
      chat(user(image('tiles=1 a', { dtype: 99 as ElementType }), text('?'))),
      InvalidArgumentError,
      /image 1 \(message 1, part 1\): tiling\.dtype 99/,
    );
  });
});

describe('tile and context limits checked from the image headers (defect 9)', () => {
  test('images whose headers make more than max_total_tiles are refused with no preprocess call', async () => {
    // 896x448 at max 12 tiles: a 2x1 grid + thumbnail = 3 tiles each.
    const input = chat(user(await png(896, 448), await png(896, 448), await png(896, 448), text('?')));
    // The same error as the check after preprocessing (its status is max_total_tiles' own).
    await refused(
      input,
      Error,
      /3 images make 9 tiles \(3 \+ 3 \+ 3\), over the limit of 8 \(max_total_tiles\)/,
      { maxTotalTiles: 8 },
    );
  });

  test("images whose tiles cannot fit the llm's context are refused with no preprocess call", async () => {
    // 2688x2688 at max 40 tiles: a 6x6 grid + thumbnail = 37 tiles = 9472 tokens > 4096.
    const input = chat(user(await png(2688, 2688, { maxTiles: 40 }), text('?')));
    await refused(input, OutOfRangeError, /37 tiles .*9472 tokens.*context is 4096 tokens/);
  });

  test('images within the limits still go through', async () => {
    const input = chat(user(await png(896, 448), text('?')));
    const events = await drain(stack.engine({ maxTotalTiles: 8 }).stream(input, run()));
    assert.equal(events.at(-1)?.kind?.$case, 'finish');
    assert.equal(stack.preprocess.calls.length, 1);
  });
});
