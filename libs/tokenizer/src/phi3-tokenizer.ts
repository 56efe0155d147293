import { INTERNVL_ADDED_TOKENS } from './internvl-tokens';
import { llama2TokenizerJson } from './llama-vocab';
import { tokenizerFiles, type TokenizerFiles } from './tokenizer-files';
import {
  addedToken,
  serializeTokenizerJson,
  type AddedTokenJson,
  type TokenizerJson,
} from './tokenizer-json';

/**
 * Phi-3-mini's added tokens (32000..32010) with the flags of its published tokenizer.json:
 * every role/placeholder token has rstrip=true, so whitespace after it (the "\n" after
 * `<|user|>`) is swallowed by the fast tokenizer; `<|endoftext|>` does not strip.
 */
const PHI3_TOKENS: readonly [id: number, content: string, rstrip: boolean][] = [
  [32000, '<|endoftext|>', false],
  [32001, '<|assistant|>', true],
  [32002, '<|placeholder1|>', true],
  [32003, '<|placeholder2|>', true],
  [32004, '<|placeholder3|>', true],
  [32005, '<|placeholder4|>', true],
  [32006, '<|system|>', true],
  [32007, '<|end|>', true],
  [32008, '<|placeholder5|>', true],
  [32009, '<|placeholder6|>', true],
  [32010, '<|user|>', true],
];

/** Phi-3's vocab_size in InternVL's config: 32011 Phi-3 ids + 9 InternVL tokens. */
export const PHI3_INTERNVL_VOCAB_SIZE = 32020;

/** Added tokens of Mini-InternVL-Chat-4B-V1-5's tokenizer: Llama's 0..2, Phi-3's, then InternVL's. */
export function phi3AddedTokens(): AddedTokenJson[] {
  return [
    addedToken(0, '<unk>', { special: true }),
    addedToken(1, '<s>', { special: true }),
    // Phi-3 ships </s> as a non-special token with rstrip (sic); reproduced as published.
    addedToken(2, '</s>', { rstrip: true }),
    ...PHI3_TOKENS.map(([id, content, rstrip]) => addedToken(id, content, { special: true, rstrip })),
    ...INTERNVL_ADDED_TOKENS.map((content, i) => addedToken(32011 + i, content, { special: true })),
  ];
}

function phi3Tokenizer(): TokenizerJson {
  return llama2TokenizerJson(phi3AddedTokens());
}

/**
 * tokenizer.json (text) of Mini-InternVL-Chat-4B-V1-5 as far as it can be rebuilt offline: the
 * real Llama-2 vocabulary and merges (ids 0..31999, which Phi-3-mini uses unchanged), Phi-3's
 * special tokens at 32000..32010 and InternVL's at 32011..32019.
 */
export function buildPhi3TokenizerJson(): string {
  return serializeTokenizerJson(phi3Tokenizer());
}

/** tokenizer.json plus tokenizer_config.json, special_tokens_map.json and added_tokens.json. */
export function buildPhi3TokenizerFiles(): TokenizerFiles {
  return tokenizerFiles({
    tokenizer: phi3Tokenizer(),
    baseVocabSize: 32000,
    bosToken: '<s>',
    eosToken: '<|endoftext|>',
    unkToken: '<unk>',
    padToken: '<|endoftext|>',
    tokenizerClass: 'LlamaTokenizer',
    modelMaxLength: 131072,
    extraConfig: {
      legacy: false,
      padding_side: 'left',
      sp_model_kwargs: {},
      use_default_system_prompt: false,
    },
  });
}
