import { InternalError } from '@internvl/errors';
import llamaTokenizer from 'llama-tokenizer-js';
import { llamaStyleTokenizerJson, type AddedTokenJson, type TokenizerJson } from './tokenizer-json';

/** A SentencePiece-BPE vocabulary: pieces by id and merges, highest priority first. */
export interface BpeVocab {
  pieces: readonly string[];
  merges: readonly (readonly [string, string])[];
}

let cached: BpeVocab | undefined;

/**
 * The real Llama-2 vocabulary (ids 0..31999: `<unk>`, `<s>`, `</s>`, 256 byte pieces, then BPE
 * pieces) and its merges, as shipped by llama-tokenizer-js. That package stores the merges of
 * Llama-2's tokenizer.json as (left id, right id) pairs and keys them "left right" with the
 * priority as value; sorting by priority restores the file's order.
 */
export function llama2Vocab(): BpeVocab {
  if (cached) return cached;
  const pieces = [...llamaTokenizer.vocabById];
  if (pieces.length !== 32000) {
    throw new InternalError(`llama-tokenizer-js has ${pieces.length} pieces, expected Llama-2's 32000`);
  }
  const merges = [...llamaTokenizer.merges.entries()]
    .sort((a, b) => a[1] - b[1])
    .map(([key]) => {
      const parts = key.split(' ');
      if (parts.length !== 2)
        throw new InternalError(`llama-tokenizer-js merge '${key}' is not 'left right'`);
      return [parts[0], parts[1]] as const;
    });
  cached = { pieces, merges };
  return cached;
}

/**
 * tokenizer.json of a model on Llama-2's vocabulary as transformers converts its LlamaTokenizer:
 * Llama-2's pieces (then `extraPieces` from id 32000 on) and merges, `<unk>`, BOS `<s>`=1, the
 * dummy prefix and byte fallback, with `addedTokens`.
 */
export function llama2TokenizerJson(
  addedTokens: AddedTokenJson[],
  extraPieces: readonly string[] = [],
): TokenizerJson {
  const { pieces, merges } = llama2Vocab();
  return llamaStyleTokenizerJson({
    pieces: [...pieces, ...extraPieces],
    merges,
    addedTokens,
    unkToken: '<unk>',
    bos: { content: '<s>', id: 1 },
    addDummyPrefix: true,
    byteFallback: true,
  });
}
