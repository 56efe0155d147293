import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { ImageLayout, Role, TilingOptions } from '@internvl/contracts';
import { assistant, chat, image, system, text, user } from '../testing/chat-fixtures';
import { effectiveTiling, toConversation } from './to-conversation';

test('messages map to turns, system messages to the system message, images in order with labels', () => {
  const input = {
    ...chat(
      system(text('You are terse.'), text('Answer in English.')),
      user(text('Look:'), image('one'), image('two', { maxTiles: 4 }), text('compare')),
      assistant(text('They differ.')),
      user(image('three'), text('and this?')),
    ),
    imageLayout: ImageLayout.IMAGE_LAYOUT_NUMBERED,
  };
  const { conversation, images } = toConversation(input, 12);
  assert.deepEqual(conversation, {
    systemMessage: 'You are terse.\nAnswer in English.',
    turns: [
      { role: Role.ROLE_USER, text: 'Look:\ncompare' },
      { role: Role.ROLE_ASSISTANT, text: 'They differ.' },
      { role: Role.ROLE_USER, text: 'and this?' },
    ],
    imageLayout: ImageLayout.IMAGE_LAYOUT_NUMBERED,
  });
  assert.deepEqual(
    images.map((i) => [i.data.toString(), i.label, i.tiling.maxTiles]),
    [
      ['one', 'image 1 (message 2, part 2)', 12],
      ['two', 'image 2 (message 2, part 3)', 4],
      ['three', 'image 3 (message 4, part 1)', 12],
    ],
  );
});

test('without system messages the template keeps its own', () => {
  assert.equal(toConversation(chat(user(text('hi'))), 12).conversation.systemMessage, undefined);
});

test('a zero max_tiles takes the default, never below min_tiles; other options are kept', () => {
  assert.deepEqual(effectiveTiling(undefined, 12), TilingOptions.fromPartial({ maxTiles: 12 }));
  assert.deepEqual(
    effectiveTiling(TilingOptions.fromPartial({ minTiles: 16, useThumbnail: false }), 12),
    TilingOptions.fromPartial({ minTiles: 16, maxTiles: 16, useThumbnail: false }),
  );
  assert.equal(effectiveTiling(TilingOptions.fromPartial({ maxTiles: 6 }), 12).maxTiles, 6);
});
