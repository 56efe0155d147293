import { createHash } from 'node:crypto';
import type { Conversation } from '@internvl/contracts';
import type { KeyedImage } from './image-plan';

/**
 * The llm routing key of a chat: what every round of one conversation starts with — the system
 * message, the first turn and the first image. Later rounds repeat that prefix, so they rank the
 * same replica first and find their earlier rounds in its prefix cache.
 */
export function conversationRoute(conversation: Conversation, images: readonly KeyedImage[]): string {
  const first = conversation.turns[0];
  return createHash('sha256')
    .update(
      JSON.stringify([
        conversation.systemMessage ?? null,
        first?.role ?? null,
        first?.text ?? null,
        images[0]?.cacheKey ?? null,
      ]),
    )
    .digest('hex');
}
