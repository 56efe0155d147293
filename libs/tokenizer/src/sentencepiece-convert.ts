import { InvalidArgumentError } from '@internvl/errors';
import { extractMerges } from './sentencepiece-merges';
import { parseSentencePieceModel, PieceType, SentencePieceModelType } from './sentencepiece-model';
import {
  addedToken,
  llamaStyleTokenizerJson,
  serializeTokenizerJson,
  type AddedTokenJson,
} from './tokenizer-json';

/** Side files of the checkpoint that add tokens on top of tokenizer.model. */
export interface SentencePieceConvertOptions {
  /** Parsed added_tokens.json: token content → id. */
  addedTokens?: Record<string, number>;
  /**
   * Parsed tokenizer_config.json: `added_tokens_decoder` gives ids and flags (special, rstrip,
   * ...), `bos_token`/`eos_token` and `add_bos_token`/`add_eos_token` the post-processor.
   */
  tokenizerConfig?: unknown;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A special-token field of tokenizer_config.json: a string or an AddedToken dict. */
function tokenContent(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (isObject(v) && typeof v.content === 'string') return v.content;
  return undefined;
}

function decoderTokens(config: Json): AddedTokenJson[] {
  const decoder = config.added_tokens_decoder;
  if (decoder === undefined) return [];
  if (!isObject(decoder)) {
    throw new InvalidArgumentError(
      'tokenizer_config.json: added_tokens_decoder must be an object of id → token',
    );
  }
  return Object.entries(decoder).map(([key, entry]) => {
    const id = Number(key);
    if (!Number.isInteger(id) || id < 0 || !isObject(entry) || typeof entry.content !== 'string') {
      throw new InvalidArgumentError(
        `tokenizer_config.json: added_tokens_decoder['${key}'] must map a non-negative id to {content, ...}`,
      );
    }
    const flag = (k: string): boolean => entry[k] === true;
    return addedToken(id, entry.content, {
      special: flag('special'),
      lstrip: flag('lstrip'),
      rstrip: flag('rstrip'),
      normalized: flag('normalized'),
      single_word: flag('single_word'),
    });
  });
}

/** Merges added tokens by id; the same id with two contents is an error naming both. */
function putAdded(byId: Map<number, AddedTokenJson>, token: AddedTokenJson, source: string): void {
  const existing = byId.get(token.id);
  if (existing && existing.content !== token.content) {
    throw new InvalidArgumentError(
      `${source} gives id ${token.id} to '${token.content}', but it already belongs to '${existing.content}'; ` +
        'the checkpoint’s tokenizer files disagree',
    );
  }
  byId.set(token.id, token);
}

/**
 * Converts a SentencePiece BPE `tokenizer.model` (e.g. InternLM2's) into tokenizer.json text the
 * way transformers' LlamaConverter/InternLM2Converter do: vocabulary = pieces by id, merges from
 * {@link extractMerges}, byte fallback, `▁` handling per the model's add_dummy_prefix, and added
 * tokens from the proto (control/unknown → special, user-defined → plain) and from the
 * checkpoint's tokenizer_config.json / added_tokens.json.
 */
export function tokenizerJsonFromSentencePiece(
  modelProtoBytes: Uint8Array,
  options: SentencePieceConvertOptions = {},
): string {
  const model = parseSentencePieceModel(modelProtoBytes);
  if (model.modelType !== SentencePieceModelType.BPE) {
    const kind = ['', 'Unigram', 'BPE', 'Word', 'Char'][model.modelType] ?? `type ${model.modelType}`;
    throw new InvalidArgumentError(
      `tokenizer.model is a ${kind} SentencePiece model; only BPE models (Llama, Phi-3, InternLM2) convert`,
    );
  }
  const config = options.tokenizerConfig;
  if (config !== undefined && !isObject(config)) {
    throw new InvalidArgumentError('tokenizer_config.json must be a JSON object');
  }

  const byId = new Map<number, AddedTokenJson>();
  model.pieces.forEach((p, id) => {
    if (p.type === PieceType.UNKNOWN || p.type === PieceType.CONTROL) {
      putAdded(byId, addedToken(id, p.piece, { special: true }), 'tokenizer.model');
    } else if (p.type === PieceType.USER_DEFINED) {
      putAdded(byId, addedToken(id, p.piece), 'tokenizer.model');
    }
  });
  // tokenizer_config's entries win over the proto's for the same id: they carry the flags the
  // checkpoint was saved with (and may rename a piece, as InternLM2's do).
  for (const t of config ? decoderTokens(config) : []) byId.set(t.id, t);
  for (const [content, id] of Object.entries(options.addedTokens ?? {})) {
    if (!Number.isInteger(id) || id < 0) {
      throw new InvalidArgumentError(
        `added_tokens.json: '${content}' has id ${String(id)}, expected an integer ≥ 0`,
      );
    }
    // added_tokens.json carries no flags; InternVL adds its tokens as special ones.
    if (byId.get(id)?.content !== content)
      putAdded(byId, addedToken(id, content, { special: true }), 'added_tokens.json');
  }

  // Like InternLM2Converter: an added token at a piece's id renames that piece.
  const scored = model.pieces.map((p, id) => ({ piece: byId.get(id)?.content ?? p.piece, score: p.score }));
  const contentId = new Map<string, number>();
  scored.forEach((p, id) => contentId.set(p.piece, id));
  for (const t of byId.values()) contentId.set(t.content, t.id);
  const withId = (content: string | undefined): { content: string; id: number } | undefined => {
    const id = content === undefined ? undefined : contentId.get(content);
    return content === undefined || id === undefined ? undefined : { content, id };
  };
  const addBos = config?.add_bos_token ?? true;
  const addEos = config?.add_eos_token ?? false;
  const bos = addBos === true ? withId(tokenContent(config?.bos_token) ?? '<s>') : undefined;
  const eos = addEos === true ? withId(tokenContent(config?.eos_token) ?? '</s>') : undefined;

  const json = llamaStyleTokenizerJson({
    pieces: scored.map((p) => p.piece),
    merges: extractMerges(scored),
    addedTokens: [...byId.values()],
    unkToken: contentId.has(model.unkPiece) ? model.unkPiece : null,
    bos,
    eos,
    // Like transformers' Llama/InternLM2 converters, the proto's precompiled normalization and
    // remove_extra_whitespaces are not carried over (both are off in those models).
    addDummyPrefix: model.addDummyPrefix,
    byteFallback: model.byteFallback || model.pieces.some((p) => p.type === PieceType.BYTE),
  });
  return serializeTokenizerJson(json);
}
