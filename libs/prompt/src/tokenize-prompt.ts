import type { PromptSegment } from './render-conversation';

/** The part of a tokenizer that prompt tokenization needs (satisfied by @internvl/tokenizer's TextTokenizer). */
export interface PromptTokenizer {
  encode(text: string, options?: { addBos?: boolean }): number[];
  /** Encodes the joined texts; special tokens are recognized only in pieces that do not split them. */
  encodeSegments(
    segments: readonly { text: string; splitSpecialTokens: boolean }[],
    options?: { addBos?: boolean },
  ): number[];
}

/** Options of {@link tokenizePrompt}. */
export interface TokenizePromptOptions {
  /**
   * Let special-token text in messages (`<|end|>`, `<|im_start|>`, ...) become control tokens, as
   * if the template had written it: for trusted callers only. Default false: it is plain text,
   * like HF's `split_special_tokens=True`, so no message can close its turn or open another.
   */
  allowSpecialTokens?: boolean;
}

/**
 * Token ids of a rendered prompt, with the leading BOS the model was trained with. Given segments,
 * only the template's own text yields control tokens (unless `allowSpecialTokens`); a plain string
 * is all template text.
 */
export function tokenizePrompt(
  tokenizer: PromptTokenizer,
  prompt: string | readonly PromptSegment[],
  options: TokenizePromptOptions = {},
): number[] {
  if (typeof prompt === 'string') return tokenizer.encode(prompt, { addBos: true });
  if (options.allowSpecialTokens) {
    return tokenizer.encode(prompt.map((s) => s.text).join(''), { addBos: true });
  }
  return tokenizer.encodeSegments(
    prompt.map((s) => ({ text: s.text, splitSpecialTokens: s.kind === 'message' })),
    { addBos: true },
  );
}

/** How many times `imgContextId` occurs in `ids`; must equal numImageTokens × total tiles. */
export function countImageTokens(ids: readonly number[], imgContextId: number): number {
  let n = 0;
  for (const id of ids) if (id === imgContextId) n++;
  return n;
}
