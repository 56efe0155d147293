/**
 * The subset of HuggingFace's `tokenizer.json` that Llama-style SentencePiece-BPE tokenizers
 * (Llama-2, Phi-3, InternLM2) use, and one builder for it so every tokenizer this lib makes has
 * the same normalizer, decoder and post-processor as `LlamaTokenizerFast` (legacy layout).
 */

/** One entry of `added_tokens`, with the flags HF serializes (all of them, in HF's key order). */
export interface AddedTokenJson {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

/** Flags of an added token; HF's defaults for tokens added from a checkpoint are all false. */
export interface AddedTokenFlags {
  special?: boolean;
  lstrip?: boolean;
  rstrip?: boolean;
  normalized?: boolean;
  single_word?: boolean;
}

/** `model` of a BPE tokenizer.json. */
export interface BpeModelJson {
  type: 'BPE';
  dropout: null;
  unk_token: string | null;
  continuing_subword_prefix: null;
  end_of_word_suffix: null;
  fuse_unk: boolean;
  byte_fallback: boolean;
  ignore_merges: boolean;
  vocab: Record<string, number>;
  merges: string[] | [string, string][];
}

/** A whole tokenizer.json (the parts this lib writes; other components pass through untyped). */
export interface TokenizerJson {
  version: '1.0';
  truncation: null;
  padding: null;
  added_tokens: AddedTokenJson[];
  normalizer: unknown;
  pre_tokenizer: unknown;
  post_processor: unknown;
  decoder: unknown;
  model: BpeModelJson;
}

/** Builds an `added_tokens` entry. */
export function addedToken(id: number, content: string, flags: AddedTokenFlags = {}): AddedTokenJson {
  return {
    id,
    content,
    single_word: flags.single_word ?? false,
    lstrip: flags.lstrip ?? false,
    rstrip: flags.rstrip ?? false,
    normalized: flags.normalized ?? false,
    special: flags.special ?? false,
  };
}

/** Inputs of {@link llamaStyleTokenizerJson}. */
export interface LlamaStyleOptions {
  /** Piece strings by id (`▁` for spaces, `<0xNN>` byte pieces); ids are array indices. */
  pieces: readonly string[];
  /** BPE merges, highest priority first. */
  merges: readonly (readonly [string, string])[];
  /** Tokens matched before the model runs (special and user-defined), with their flags. */
  addedTokens: readonly AddedTokenJson[];
  /** The unknown piece (`<unk>`). */
  unkToken: string | null;
  /** Token the post-processor puts first (BOS), or undefined for none. */
  bos?: { content: string; id: number };
  /** Token the post-processor appends (EOS, `add_eos_token`), or undefined for none. */
  eos?: { content: string; id: number };
  /** SentencePiece `add_dummy_prefix`: prepend `▁` to each text segment, strip one space on decode. */
  addDummyPrefix: boolean;
  /** SentencePiece `byte_fallback`: unknown characters become `<0xNN>` pieces. */
  byteFallback: boolean;
}

const SPACE_PIECE = '▁';

/**
 * A tokenizer.json laid out like transformers' LlamaConverter output (the layout of Phi-3's and
 * Llama-2's published tokenizer.json): normalizer Prepend("▁") + Replace(" ", "▁"), no
 * pre-tokenizer, BPE with byte fallback, decoder Replace + ByteFallback + Fuse + Strip(1 left),
 * TemplateProcessing that adds BOS.
 */
export function llamaStyleTokenizerJson(options: LlamaStyleOptions): TokenizerJson {
  // A null-prototype object keeps a piece named "__proto__" as an ordinary key.
  const vocab = Object.create(null) as Record<string, number>;
  options.pieces.forEach((piece, id) => {
    vocab[piece] = id;
  });
  // HF's classic "a b" merge strings are ambiguous when a piece holds a space; the pair form
  // (tokenizers >= 0.20) is used only then so older readers keep working otherwise.
  const needsPairs = options.merges.some(([a, b]) => a.includes(' ') || b.includes(' '));
  const merges = needsPairs
    ? options.merges.map(([a, b]) => [a, b] as [string, string])
    : options.merges.map(([a, b]) => `${a} ${b}`);
  const normalizers: unknown[] = [];
  if (options.addDummyPrefix) normalizers.push({ type: 'Prepend', prepend: SPACE_PIECE });
  normalizers.push({ type: 'Replace', pattern: { String: ' ' }, content: SPACE_PIECE });
  const decoders: unknown[] = [{ type: 'Replace', pattern: { String: SPACE_PIECE }, content: ' ' }];
  if (options.byteFallback) decoders.push({ type: 'ByteFallback' });
  decoders.push({ type: 'Fuse' });
  if (options.addDummyPrefix) decoders.push({ type: 'Strip', content: ' ', start: 1, stop: 0 });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [...options.addedTokens].sort((a, b) => a.id - b.id),
    normalizer: { type: 'Sequence', normalizers },
    pre_tokenizer: null,
    post_processor: templateProcessing(options.bos, options.eos),
    decoder: { type: 'Sequence', decoders },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: options.unkToken,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: options.byteFallback,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
}

type TemplateItem =
  { SpecialToken: { id: string; type_id: number } } | { Sequence: { id: 'A' | 'B'; type_id: number } };

/** Same shape as transformers' `LlamaTokenizerFast.update_post_processor`. */
function templateProcessing(
  bos: { content: string; id: number } | undefined,
  eos: { content: string; id: number } | undefined,
): unknown {
  if (!bos && !eos) return null;
  const single: TemplateItem[] = [];
  const pair: TemplateItem[] = [];
  const specialTokens: Record<string, { id: string; ids: number[]; tokens: string[] }> = {};
  for (const [typeId, seq] of [
    [0, 'A'],
    [1, 'B'],
  ] as const) {
    const items: TemplateItem[] = [];
    if (bos) items.push({ SpecialToken: { id: bos.content, type_id: typeId } });
    items.push({ Sequence: { id: seq, type_id: typeId } });
    if (eos) items.push({ SpecialToken: { id: eos.content, type_id: typeId } });
    if (seq === 'A') single.push(...items);
    pair.push(...items);
  }
  for (const t of [bos, eos]) {
    if (t) specialTokens[t.content] = { id: t.content, ids: [t.id], tokens: [t.content] };
  }
  return { type: 'TemplateProcessing', single, pair, special_tokens: specialTokens };
}

/** Serializes like HF does (2-space indent), so the file diffs and reads like a published one. */
export function serializeTokenizerJson(json: TokenizerJson): string {
  return JSON.stringify(json, null, 2) + '\n';
}
