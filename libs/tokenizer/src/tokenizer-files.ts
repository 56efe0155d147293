import { serializeTokenizerJson, type AddedTokenJson, type TokenizerJson } from './tokenizer-json';

/** Tokenizer files of an HF checkpoint, by file name (tokenizer.json, tokenizer_config.json, ...). */
export type TokenizerFiles = Record<string, string>;

/** What {@link tokenizerFiles} needs besides the tokenizer.json itself. */
export interface TokenizerFilesSpec {
  tokenizer: TokenizerJson;
  /** Size of the SentencePiece vocabulary; added tokens at or past it go to added_tokens.json. */
  baseVocabSize: number;
  bosToken: string;
  eosToken: string;
  unkToken: string;
  padToken: string;
  /** `tokenizer_class` (LlamaTokenizer for Phi-3, InternLM2Tokenizer for InternLM2). */
  tokenizerClass: string;
  modelMaxLength: number;
  /** Further tokenizer_config.json keys (auto_map, padding_side, ...). */
  extraConfig?: Record<string, unknown>;
}

/** An added token as tokenizer_config.json's `added_tokens_decoder` writes it (keys sorted, no id). */
function decoderEntry(t: AddedTokenJson): Record<string, unknown> {
  return {
    content: t.content,
    lstrip: t.lstrip,
    normalized: t.normalized,
    rstrip: t.rstrip,
    single_word: t.single_word,
    special: t.special,
  };
}

function specialTokenEntry(tokens: readonly AddedTokenJson[], content: string): Record<string, unknown> {
  const t = tokens.find((x) => x.content === content);
  return {
    content,
    lstrip: t?.lstrip ?? false,
    normalized: t?.normalized ?? false,
    rstrip: t?.rstrip ?? false,
    single_word: t?.single_word ?? false,
  };
}

function sortedKeys<T>(entries: [string, T][]): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [k, v] of [...entries].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) out[k] = v;
  return out;
}

/**
 * tokenizer.json plus the side files `save_pretrained` writes (tokenizer_config.json,
 * special_tokens_map.json, added_tokens.json), in the formats transformers uses.
 */
export function tokenizerFiles(spec: TokenizerFilesSpec): TokenizerFiles {
  const added = spec.tokenizer.added_tokens;
  const addedTokensDecoder: Record<string, unknown> = {};
  for (const t of added) addedTokensDecoder[String(t.id)] = decoderEntry(t);
  const config = sortedKeys<unknown>([
    ['add_bos_token', true],
    ['add_eos_token', false],
    ['added_tokens_decoder', addedTokensDecoder],
    ['bos_token', spec.bosToken],
    ['clean_up_tokenization_spaces', false],
    ['eos_token', spec.eosToken],
    ['model_max_length', spec.modelMaxLength],
    ['pad_token', spec.padToken],
    ['tokenizer_class', spec.tokenizerClass],
    ['unk_token', spec.unkToken],
    ...Object.entries(spec.extraConfig ?? {}),
  ]);
  const specialMap = {
    bos_token: specialTokenEntry(added, spec.bosToken),
    eos_token: specialTokenEntry(added, spec.eosToken),
    pad_token: specialTokenEntry(added, spec.padToken),
    unk_token: specialTokenEntry(added, spec.unkToken),
  };
  const addedTokensJson = sortedKeys(
    added.filter((t) => t.id >= spec.baseVocabSize).map((t) => [t.content, t.id] as [string, number]),
  );
  return {
    'tokenizer.json': serializeTokenizerJson(spec.tokenizer),
    'tokenizer_config.json': JSON.stringify(config, null, 2) + '\n',
    'special_tokens_map.json': JSON.stringify(specialMap, null, 2) + '\n',
    'added_tokens.json': JSON.stringify(addedTokensJson, null, 2) + '\n',
  };
}
