import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Role } from '@internvl/contracts';
import { InvalidArgumentError, LimitExceededError } from '@internvl/errors';
import { assistant, chat, image, system, text, user } from '../testing/chat-fixtures';
import { validateChatInput } from './validate-chat-input';

const limits = { maxImages: 2 };

test('a well-formed chat passes', () => {
  validateChatInput(
    chat(
      system(text('be brief')),
      user(image('a'), text('what?')),
      assistant(text('a cat')),
      user(text('sure?')),
    ),
    limits,
  );
});

test('structural mistakes are INVALID_ARGUMENT saying what to change', () => {
  const cases: Array<[ReturnType<typeof chat>, RegExp]> = [
    [chat(), /no messages; send at least one user message/],
    [
      chat(user(text('hi')), assistant(text('hello'))),
      /last message is from the assistant; it must be the user's/,
    ],
    [chat({ role: Role.ROLE_UNSPECIFIED, content: [text('x')] }), /message 1 has role ROLE_UNSPECIFIED/],
    [chat({ role: 42 as Role, content: [text('x')] }), /message 1 has role UNRECOGNIZED/],
    [chat(user(text('hi')), system(text('late')), user(text('x'))), /message 2 is a system message after/],
    [chat(user()), /message 1 has no content/],
    [chat(user(text('a'), { part: undefined })), /message 1, part 2 is empty/],
    [chat(user(text('a'), image(''))), /image 1 \(message 1, part 2\) has no data/],
    [
      chat(user(text('a')), assistant(image('x')), user(text('b'))),
      /image 1 \(message 2, part 1\): images are only allowed in user messages, not assistant ones/,
    ],
  ];
  for (const [input, message] of cases) {
    assert.throws(
      () => validateChatInput(input, limits),
      (err: unknown) => {
        assert.ok(err instanceof InvalidArgumentError, String(err));
        assert.match(err.message, message);
        return true;
      },
    );
  }
});

test('more images than max_images is LimitExceededError (INVALID_ARGUMENT, permanent) naming both numbers and the option', () => {
  assert.throws(
    () =>
      validateChatInput(chat(user(image('a'), image('b')), assistant(text('ok')), user(image('c'))), limits),
    (err: unknown) =>
      err instanceof LimitExceededError &&
      /3 images, over the limit of 2 \(max_images\).*--max-images \(INTERNVL_GATEWAY_MAX_IMAGES\)/.test(
        err.message,
      ),
  );
});
