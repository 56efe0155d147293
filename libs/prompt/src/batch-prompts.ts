import type { ChatTemplate } from './chat-templates';
import { DEFAULT_NUM_IMAGE_TOKENS } from './image-block';
import { promptText, renderConversationSegments, type PromptSegment } from './render-conversation';

/** One question of a batch_chat call; `numTiles` 0 means a text-only question. */
export interface BatchQuestion {
  text: string;
  numTiles: number;
}

/** Options of {@link batchPrompts}. */
export interface BatchPromptOptions {
  systemMessage?: string;
  numImageTokens?: number;
}

/**
 * Renders batch_chat's prompts: each question is an independent single-turn conversation with at
 * most one image; `<image>\n` is prepended when the question has tiles and no placeholder.
 * @throws InvalidArgumentError as {@link renderConversation} does, for the offending question.
 */
export function batchPrompts(
  template: ChatTemplate,
  questions: BatchQuestion[],
  options: BatchPromptOptions = {},
): string[] {
  return batchPromptSegments(template, questions, options).map(promptText);
}

/** {@link batchPrompts} as segments (see {@link renderConversationSegments}), for tokenizing. */
export function batchPromptSegments(
  template: ChatTemplate,
  questions: BatchQuestion[],
  options: BatchPromptOptions = {},
): PromptSegment[][] {
  return questions.map((q) =>
    renderConversationSegments(
      template,
      {
        systemMessage: options.systemMessage,
        turns: [{ role: 'user', text: q.text }],
        images: q.numTiles === 0 ? [] : [{ numTiles: q.numTiles }],
        imageLayout: 'numbered',
      },
      options.numImageTokens ?? DEFAULT_NUM_IMAGE_TOKENS,
    ),
  );
}
