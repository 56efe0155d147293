import { InvalidArgumentError } from '@internvl/errors';
import type { ChatTemplate } from './chat-templates';
import type { Conversation, ConversationTurn } from './conversation';
import {
  DEFAULT_NUM_IMAGE_TOKENS,
  IMAGE_PLACEHOLDER,
  IMAGE_TOKENS,
  countPlaceholders,
  imageBlock,
} from './image-block';

/**
 * A piece of a rendered prompt: the template's own text (role markers, separators, the system
 * template, image blocks: `template`) or text a message brought (`message`). Tokenization keeps
 * special-token text in `message` pieces as plain text, so a message cannot close its turn.
 */
export interface PromptSegment {
  text: string;
  kind: 'template' | 'message';
}

/**
 * Renders a conversation the way InternVL-1.5's chat()/get_prompt does (MPT style):
 * `systemTemplate(system) + sep`, then `role + text + sep` per turn, then the bare assistant role.
 * `<image>` placeholders are expanded into `<img>…</img>` blocks according to `conv.imageLayout`;
 * when no turn has one and there are images, the placeholder prefix is prepended to the first user turn.
 * @throws InvalidArgumentError when there are no turns, the last turn is not a user turn, the
 *   placeholder count does not match the images, or a turn carries raw image tokens.
 */
export function renderConversation(
  template: ChatTemplate,
  conv: Conversation,
  numImageTokens: number = DEFAULT_NUM_IMAGE_TOKENS,
): string {
  return promptText(renderConversationSegments(template, conv, numImageTokens));
}

/** The prompt text of segments: their texts joined. */
export function promptText(segments: readonly PromptSegment[]): string {
  return segments.map((s) => s.text).join('');
}

/**
 * {@link renderConversation} as segments that tell the template's text from the messages' text
 * (adjacent pieces of one kind merged, empty ones left out); their texts joined are the prompt.
 * @throws InvalidArgumentError as {@link renderConversation} does.
 */
export function renderConversationSegments(
  template: ChatTemplate,
  conv: Conversation,
  numImageTokens: number = DEFAULT_NUM_IMAGE_TOKENS,
): PromptSegment[] {
  const turns = withImagePrefix(conv);
  const blocks = imageBlocks(conv, numImageTokens);
  const found = turns.reduce((n, t) => n + countPlaceholders(t.text), 0);
  if (found !== blocks.length) {
    throw new InvalidArgumentError(
      `found ${found} ${IMAGE_PLACEHOLDER} placeholder(s) but ${conv.images.length} image(s)` +
        (conv.imageLayout === 'concatenated' && conv.images.length > 0
          ? `; the concatenated layout needs exactly 1 placeholder for all images`
          : ''),
    );
  }
  const segments: PromptSegment[] = [];
  const add = (kind: PromptSegment['kind'], text: string): void => {
    if (text.length === 0) return;
    const last = segments[segments.length - 1];
    if (last?.kind === kind) last.text += text;
    else segments.push({ kind, text });
  };
  // Split around the placeholder (not String.replace), so `$&`-style patterns in a user's system
  // message stay literal.
  const [systemBefore, ...systemAfter] = template.systemTemplate.split('{system_message}');
  add('template', systemBefore!);
  if (systemAfter.length > 0) add('message', conv.systemMessage ?? template.systemMessage);
  add('template', systemAfter.join('{system_message}') + template.sep);
  let next = 0;
  for (const turn of turns) {
    add('template', template.roles[turn.role]);
    // Expanded per turn so the blocks fill placeholders in reading order across the history.
    turn.text.split(IMAGE_PLACEHOLDER).forEach((part, i) => {
      if (i > 0) add('template', blocks[next++]!);
      add('message', part);
    });
    add('template', template.sep);
  }
  add('template', template.roles.assistant);
  return segments;
}

function withImagePrefix(conv: Conversation): ConversationTurn[] {
  const { turns, images } = conv;
  if (turns.length === 0) throw new InvalidArgumentError('a conversation needs at least one turn');
  if (turns[turns.length - 1]!.role !== 'user') {
    throw new InvalidArgumentError('the last turn must be a user turn (the model answers it)');
  }
  for (const [i, turn] of turns.entries()) {
    // Raw image tokens in text would shift the embedding assignment away from the real tiles.
    for (const token of Object.values(IMAGE_TOKENS)) {
      if (turn.text.includes(token)) {
        throw new InvalidArgumentError(
          `turn ${i} contains the reserved image token ${token}; use ${IMAGE_PLACEHOLDER}`,
        );
      }
    }
  }
  if (images.length === 0 || turns.some((t) => t.text.includes(IMAGE_PLACEHOLDER))) return turns;
  const first = turns.findIndex((t) => t.role === 'user');
  const prefix =
    conv.imageLayout === 'numbered' && images.length > 1
      ? images.map((_, i) => `Image-${i + 1}: ${IMAGE_PLACEHOLDER}\n`).join('')
      : `${IMAGE_PLACEHOLDER}\n`;
  return turns.map((t, i) => (i === first ? { ...t, text: prefix + t.text } : t));
}

function imageBlocks(conv: Conversation, numImageTokens: number): string[] {
  if (conv.images.length === 0) return [];
  if (conv.imageLayout === 'numbered')
    return conv.images.map((img) => imageBlock(img.numTiles, numImageTokens));
  for (const img of conv.images) imageBlock(img.numTiles, 1); // validates each image's tile count
  const totalTiles = conv.images.reduce((n, img) => n + img.numTiles, 0);
  return [imageBlock(totalTiles, numImageTokens)];
}
