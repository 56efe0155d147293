import { Role, TilingOptions, type ChatInput, type Conversation, type Turn } from '@internvl/contracts';
import type { ChatImage } from '../downstream/preprocess-image';
import { imageLabel } from './chat-limits';

/** What the llm gets as its prompt, and the images to preprocess, in prompt order. */
export interface ChatPlan {
  conversation: Conversation;
  images: ChatImage[];
}

/** Tiling of an image: a zero max_tiles takes the gateway default (never below min_tiles). */
export function effectiveTiling(tiling: TilingOptions | undefined, defaultMaxTiles: number): TilingOptions {
  const requested = TilingOptions.fromPartial(tiling ?? {});
  if (requested.maxTiles > 0) return requested;
  return { ...requested, maxTiles: Math.max(defaultMaxTiles, requested.minTiles) };
}

/**
 * Maps a validated chat to the llm's Conversation: system messages become the system message,
 * every other message one turn whose text parts are joined with "\n"; image parts are collected
 * in order across all messages (the llm places them; see Conversation in llm.proto).
 */
export function toConversation(input: ChatInput, defaultMaxTiles: number): ChatPlan {
  const system: string[] = [];
  const turns: Turn[] = [];
  const images: ChatImage[] = [];
  input.messages.forEach((message, m) => {
    const texts: string[] = [];
    message.content.forEach((part, p) => {
      const kind = part.part;
      if (kind?.$case === 'text') texts.push(kind.value);
      else if (kind?.$case === 'image') {
        images.push({
          data: kind.value.data,
          tiling: effectiveTiling(kind.value.tiling, defaultMaxTiles),
          label: imageLabel(images.length + 1, m, p),
        });
      }
    });
    const text = texts.join('\n');
    if (message.role === Role.ROLE_SYSTEM) system.push(text);
    else turns.push({ role: message.role, text });
  });
  return {
    conversation: {
      systemMessage: system.length > 0 ? system.join('\n') : undefined,
      turns,
      imageLayout: input.imageLayout,
    },
    images,
  };
}
