import { Role, roleToJSON, type ChatInput } from '@internvl/contracts';
import { InvalidArgumentError, LimitExceededError } from '@internvl/errors';
import { gatewayOption } from '../gateway-config';
import { imageLabel, type ChatLimits } from './chat-limits';
import { validateGenerationParams } from './param-ranges';
import { validateImageLayout, validateImageTiling } from './validate-tiling';

const ROLE_NAMES: Partial<Record<Role, string>> = {
  [Role.ROLE_SYSTEM]: 'system',
  [Role.ROLE_USER]: 'user',
  [Role.ROLE_ASSISTANT]: 'assistant',
};

/**
 * Checks a chat before any tier is called: at least one message, the last one the user's, known
 * roles, system messages first, every part text or a non-empty image (images in user messages
 * only) and at most `maxImages` images. Message, part and image numbers count from 1.
 */
export function validateChatInput(input: ChatInput, limits: Pick<ChatLimits, 'maxImages'>): void {
  const { messages } = input;
  if (messages.length === 0) {
    throw new InvalidArgumentError('the chat has no messages; send at least one user message');
  }
  validateImageLayout(input.imageLayout);
  let images = 0;
  let seenNonSystem = false;
  messages.forEach((message, m) => {
    const where = `message ${m + 1}`;
    const roleName = ROLE_NAMES[message.role];
    if (roleName === undefined) {
      throw new InvalidArgumentError(
        `${where} has role ${roleToJSON(message.role)}; use ROLE_SYSTEM, ROLE_USER or ROLE_ASSISTANT`,
      );
    }
    if (message.role === Role.ROLE_SYSTEM && seenNonSystem) {
      throw new InvalidArgumentError(
        `${where} is a system message after the conversation started; send system messages first`,
      );
    }
    if (message.role !== Role.ROLE_SYSTEM) seenNonSystem = true;
    if (message.content.length === 0)
      throw new InvalidArgumentError(`${where} has no content; send text or an image`);
    message.content.forEach((part, p) => {
      const kind = part.part;
      if (kind === undefined) {
        throw new InvalidArgumentError(`${where}, part ${p + 1} is empty; set text or image`);
      }
      if (kind.$case !== 'image') return;
      images += 1;
      const label = imageLabel(images, m, p);
      if (message.role !== Role.ROLE_USER) {
        throw new InvalidArgumentError(
          `${label}: images are only allowed in user messages, not ${roleName} ones`,
        );
      }
      if (kind.value.data.byteLength === 0) throw new InvalidArgumentError(`${label} has no data`);
      validateImageTiling(kind.value.tiling, label);
    });
  });
  const last = messages[messages.length - 1]!;
  if (last.role !== Role.ROLE_USER) {
    throw new InvalidArgumentError(
      `the last message is from the ${ROLE_NAMES[last.role]}; it must be the user's (the model answers it)`,
    );
  }
  validateGenerationParams(input.params);
  if (images > limits.maxImages) {
    throw new LimitExceededError(
      `the chat has ${images} images, over the limit of ${limits.maxImages} (max_images); send fewer images or raise ${gatewayOption('max_images')}`,
    );
  }
}
