import type { TokenLogprob, TopLogprob } from '@internvl/contracts';
import type { IdLogprob, PositionLogprobs } from '@internvl/generation';
import { tokenPiece, type TextTokenizer } from '@internvl/tokenizer';

/**
 * A delta's logprobs as TextDelta.logprobs: each id with its tokenizer piece (`token`, e.g.
 * " world") and that piece's bytes (the raw byte of a byte-fallback token like `<0xE4>`).
 */
export function toWireLogprobs(
  entries: readonly PositionLogprobs[] | undefined,
  tokenizer: Pick<TextTokenizer, 'tokenOf'>,
): TokenLogprob[] {
  if (!entries) return [];
  return entries.map((e) => ({ ...wireEntry(e, tokenizer), top: e.top.map((t) => wireEntry(t, tokenizer)) }));
}

function wireEntry({ tokenId, logprob }: IdLogprob, tokenizer: Pick<TextTokenizer, 'tokenOf'>): TopLogprob {
  const piece = tokenPiece(tokenizer, tokenId);
  return { tokenId, token: piece.text, bytes: Buffer.from(piece.bytes), logprob };
}
