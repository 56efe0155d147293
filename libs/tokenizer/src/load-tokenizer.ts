import { InvalidArgumentError } from '@internvl/errors';
import { Tokenizer } from '@huggingface/tokenizers';

/** Options of {@link TextTokenizer.encode}. */
export interface EncodeOptions {
  /**
   * Apply the tokenizer's post-processor, which for Llama-style tokenizers puts BOS (`<s>`)
   * first, like HF's `add_special_tokens=True`. Default true.
   */
  addBos?: boolean;
}

/** Options of {@link TextTokenizer.decode}. */
export interface DecodeOptions {
  /** Drop special tokens (`<s>`, `<|end|>`, `<IMG_CONTEXT>`, ...) from the text. Default false. */
  skipSpecial?: boolean;
}

/** Encode/decode over a HF tokenizer.json, with ids checked and edge cases defined. */
export interface TextTokenizer {
  /** Highest token id + 1 (base vocabulary plus added tokens). */
  readonly vocabSize: number;
  /** Ids of added tokens marked special. */
  readonly specialIds: ReadonlySet<number>;
  encode(text: string, options?: EncodeOptions): number[];
  decode(ids: readonly number[], options?: DecodeOptions): string;
  /** Id of a token string (vocabulary piece or added token), or undefined. */
  idOf(token: string): number | undefined;
  /** Token string of an id, or undefined when the id is out of the vocabulary. */
  tokenOf(id: number): string | undefined;
}

/** Options of {@link loadTokenizer}. */
export interface LoadTokenizerOptions {
  /**
   * Parsed tokenizer_config.json, if the checkpoint has one. Only `clean_up_tokenization_spaces`
   * is read; it defaults to false (Phi-3's and InternLM2's setting) where tokenizers.js would
   * default to true and rewrite " ." to ".".
   */
  tokenizerConfig?: Record<string, unknown>;
}

function parse(text: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InvalidArgumentError(`tokenizer.json is not valid JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new InvalidArgumentError('tokenizer.json must hold a JSON object');
  }
  const model = (json as Record<string, unknown>).model as Record<string, unknown> | undefined;
  if (typeof model !== 'object' || model === null || typeof model.type !== 'string') {
    throw new InvalidArgumentError(
      "tokenizer.json has no 'model' with a 'type'; is it a HuggingFace tokenizer.json?",
    );
  }
  return json as Record<string, unknown>;
}

class HfTextTokenizer implements TextTokenizer {
  readonly vocabSize: number;
  readonly specialIds: ReadonlySet<number>;
  private readonly cleanUp: boolean;

  constructor(
    private readonly inner: Tokenizer,
    config: Record<string, unknown>,
  ) {
    let maxId = -1;
    for (const id of inner.get_vocab(true).values()) maxId = Math.max(maxId, id);
    this.vocabSize = maxId + 1;
    const special = new Set<number>();
    for (const [id, token] of inner.get_added_tokens_decoder()) if (token.special) special.add(id);
    this.specialIds = special;
    this.cleanUp = config.clean_up_tokenization_spaces === true;
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    if (typeof text !== 'string') throw new InvalidArgumentError('encode expects a string');
    return this.inner.encode(text, { add_special_tokens: options.addBos ?? true }).ids;
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    // tokenizers.js throws on an empty list; an empty sequence is simply "".
    if (ids.length === 0) return '';
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
        throw new InvalidArgumentError(`token id ${id} is outside the vocabulary [0, ${this.vocabSize})`);
      }
    }
    return this.inner.decode([...ids], {
      skip_special_tokens: options.skipSpecial ?? false,
      clean_up_tokenization_spaces: this.cleanUp,
    });
  }

  idOf(token: string): number | undefined {
    return this.inner.token_to_id(token);
  }

  tokenOf(id: number): string | undefined {
    return Number.isInteger(id) && id >= 0 && id < this.vocabSize ? this.inner.id_to_token(id) : undefined;
  }
}

/**
 * Loads tokenizer.json text (as written by HF or by this lib) into a {@link TextTokenizer}
 * backed by @huggingface/tokenizers.
 */
export function loadTokenizer(tokenizerJsonText: string, options: LoadTokenizerOptions = {}): TextTokenizer {
  const json = parse(tokenizerJsonText);
  const config = options.tokenizerConfig ?? {};
  let inner: Tokenizer;
  try {
    inner = new Tokenizer(json, { clean_up_tokenization_spaces: false, ...config });
  } catch (err) {
    throw new InvalidArgumentError(`tokenizer.json could not be loaded: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return new HfTextTokenizer(inner, config);
}
