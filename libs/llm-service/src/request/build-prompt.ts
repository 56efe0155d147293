import { ImageLayout, Role, type GenerateHeader } from '@internvl/contracts';
import { InvalidArgumentError } from '@internvl/errors';
import {
  countImageTokens,
  promptText,
  renderConversationSegments,
  tokenizePrompt,
  type ChatTemplate,
  type Conversation,
  type ConversationTurn,
} from '@internvl/prompt';
import type { TextTokenizer } from '@internvl/tokenizer';

/** The rendered prompt and the ids the decoder runs. */
export interface BuiltPrompt {
  text: string;
  ids: number[];
  imageTokens: number;
}

export interface PromptContext {
  template: ChatTemplate;
  tokenizer: TextTokenizer;
  tokensPerTile: number;
  imageContextId: number;
  /**
   * Special-token text in messages becomes control tokens (`--allow-special-tokens`, trusted
   * callers); otherwise it is plain text and only the template's own text yields control tokens.
   */
  allowSpecialTokens: boolean;
}

function turnRole(role: Role, i: number): ConversationTurn['role'] {
  if (role === Role.ROLE_USER) return 'user';
  if (role === Role.ROLE_ASSISTANT) return 'assistant';
  if (role === Role.ROLE_SYSTEM) {
    throw new InvalidArgumentError(`turns[${i}] has ROLE_SYSTEM; put the system prompt in system_message`);
  }
  throw new InvalidArgumentError(
    `turns[${i}].role is ${Role[role] ?? role}; use ROLE_USER or ROLE_ASSISTANT`,
  );
}

/**
 * The contract's conversation as the prompt lib's. Without a layout, several images share one
 * `<img>` block, as InternVL-1.5's chat() does when it is given no per-image tile counts.
 */
export function toConversation(
  conversation: NonNullable<GenerateHeader['prompt']> & { $case: 'conversation' },
  imageTiles: readonly number[],
): Conversation {
  const c = conversation.value;
  return {
    systemMessage: c.systemMessage,
    turns: c.turns.map((t, i) => ({ role: turnRole(t.role, i), text: t.text })),
    images: imageTiles.map((numTiles) => ({ numTiles })),
    imageLayout: c.imageLayout === ImageLayout.IMAGE_LAYOUT_NUMBERED ? 'numbered' : 'concatenated',
  };
}

/**
 * Renders and tokenizes the header's prompt (or takes its pre-tokenized ids, the caller's own, as
 * they are) and checks that its
 * <IMG_CONTEXT> tokens match the image rows one to one.
 */
export function buildPrompt(
  header: GenerateHeader,
  imageTiles: readonly number[],
  ctx: PromptContext,
): BuiltPrompt {
  const prompt = header.prompt;
  if (!prompt) throw new InvalidArgumentError('GenerateHeader needs a conversation or token_ids');
  let text: string;
  let ids: number[];
  if (prompt.$case === 'conversation') {
    const segments = renderConversationSegments(
      ctx.template,
      toConversation(prompt, imageTiles),
      ctx.tokensPerTile,
    );
    text = promptText(segments);
    ids = tokenizePrompt(ctx.tokenizer, segments, { allowSpecialTokens: ctx.allowSpecialTokens });
  } else {
    ids = prompt.value.ids;
    if (ids.length === 0) throw new InvalidArgumentError('token_ids is empty');
    const bad = ids.find((id) => !Number.isInteger(id) || id < 0 || id >= ctx.tokenizer.vocabSize);
    if (bad !== undefined) {
      throw new InvalidArgumentError(
        `token_ids holds ${bad}, outside the vocabulary [0, ${ctx.tokenizer.vocabSize})`,
      );
    }
    text = ctx.tokenizer.decode(ids);
  }
  const found = countImageTokens(ids, ctx.imageContextId);
  const tiles = imageTiles.reduce((a, b) => a + b, 0);
  const rows = tiles * ctx.tokensPerTile;
  if (found !== rows) {
    throw new InvalidArgumentError(
      `the prompt has ${found} <IMG_CONTEXT> tokens but the images have ${rows} embedding rows (${tiles} tiles × ${ctx.tokensPerTile}); they must match`,
    );
  }
  return { text, ids, imageTokens: found };
}
