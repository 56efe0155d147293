/** The part of a tokenizer that prompt tokenization needs (satisfied by @internvl/tokenizer's TextTokenizer). */
export interface PromptTokenizer {
  encode(text: string, options?: { addBos?: boolean }): number[];
}

/** Token ids of a rendered prompt, with the leading BOS the model was trained with. */
export function tokenizePrompt(tokenizer: PromptTokenizer, text: string): number[] {
  return tokenizer.encode(text, { addBos: true });
}

/** How many times `imgContextId` occurs in `ids`; must equal numImageTokens × total tiles. */
export function countImageTokens(ids: readonly number[], imgContextId: number): number {
  let n = 0;
  for (const id of ids) if (id === imgContextId) n++;
  return n;
}
