import { InvalidArgumentError } from '@internvl/errors';
import { Tokenizer, type AddedToken } from '@huggingface/tokenizers';

/** Options of {@link TextTokenizer.encode}. */
export interface EncodeOptions {
  /**
   * Apply the tokenizer's post-processor, which for Llama-style tokenizers puts BOS (`<s>`)
   * first, like HF's `add_special_tokens=True`. Default true.
   */
  addBos?: boolean;
  /**
   * Encode special-token text in `text` (`<|end|>`, `<s>`, `<|im_start|>`, ...) as ordinary
   * characters, like HF's `split_special_tokens=True`; added tokens that are not special still
   * match. Default false: such text becomes the special token.
   */
  splitSpecialTokens?: boolean;
}

/** One piece of text for {@link TextTokenizer.encodeSegments}. */
export interface EncodeSegment {
  text: string;
  /** Special-token text in this piece is ordinary characters (see {@link EncodeOptions.splitSpecialTokens}). */
  splitSpecialTokens: boolean;
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
  /**
   * Encodes the concatenated text of `segments` as one text, except that special tokens are only
   * recognized inside segments that do not split them: the ids equal {@link encode}'s for the
   * whole text when no split segment holds special-token text, and equal HF's
   * `split_special_tokens=True` where one does (the text around it stays one normalized,
   * BPE-merged section, as HF keeps it).
   */
  encodeSegments(
    segments: readonly EncodeSegment[],
    options?: Omit<EncodeOptions, 'splitSpecialTokens'>,
  ): number[];
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

/** A trie node of {@link TokenFinder}. */
interface TrieNode {
  next: Map<string, TrieNode>;
  token?: string;
}

/**
 * Finds token strings in a text leftmost-longest, scanning UTF-16 code units the way
 * @huggingface/tokenizers splits added tokens out of a text before normalizing it.
 */
class TokenFinder {
  private readonly root: TrieNode = { next: new Map() };

  constructor(tokens: Iterable<string>) {
    for (const token of tokens) {
      let node = this.root;
      for (let i = 0; i < token.length; i++) {
        let child = node.next.get(token[i]!);
        if (!child) node.next.set(token[i]!, (child = { next: new Map() }));
        node = child;
      }
      node.token = token;
    }
  }

  /** Calls `onText` for the text between matches (never empty) and `onToken` for each match, in order. */
  split(text: string, onText: (text: string) => void, onToken: (token: string) => void): void {
    let start = 0;
    let i = 0;
    while (i < text.length) {
      let node: TrieNode | undefined = this.root;
      let match: string | undefined;
      for (let j = i; j < text.length && (node = node.next.get(text[j]!)); j++) {
        if (node.token !== undefined) match = node.token;
      }
      if (match === undefined) {
        i++;
        continue;
      }
      if (i > start) onText(text.slice(start, i));
      onToken(match);
      i += match.length;
      start = i;
    }
    if (start < text.length) onText(text.slice(start));
  }
}

class HfTextTokenizer implements TextTokenizer {
  readonly vocabSize: number;
  readonly specialIds: ReadonlySet<number>;
  private readonly cleanUp: boolean;
  /** Special added tokens by content: the only tokens {@link encodeSegments} looks for itself. */
  private readonly special = new Map<string, AddedToken>();
  private readonly finder: TokenFinder;
  /** The same tokenizer without special added tokens (built on first use): their text is plain text to it. */
  private plain?: Tokenizer;
  /** Ids the post-processor puts before and after a sequence, by addBos. */
  private readonly around = new Map<boolean, readonly [number[], number[]]>();

  constructor(
    private readonly inner: Tokenizer,
    private readonly json: Record<string, unknown>,
    private readonly config: Record<string, unknown>,
  ) {
    let maxId = -1;
    for (const id of inner.get_vocab(true).values()) maxId = Math.max(maxId, id);
    this.vocabSize = maxId + 1;
    const special = new Set<number>();
    for (const [id, token] of inner.get_added_tokens_decoder()) {
      if (!token.special) continue;
      special.add(id);
      this.special.set(token.content, token);
    }
    this.specialIds = special;
    this.finder = new TokenFinder(this.special.keys());
    this.cleanUp = config.clean_up_tokenization_spaces === true;
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    if (typeof text !== 'string') throw new InvalidArgumentError('encode expects a string');
    if (options.splitSpecialTokens) {
      return this.encodeSegments([{ text, splitSpecialTokens: true }], { addBos: options.addBos });
    }
    return this.inner.encode(text, { add_special_tokens: options.addBos ?? true }).ids;
  }

  encodeSegments(
    segments: readonly EncodeSegment[],
    options: Omit<EncodeOptions, 'splitSpecialTokens'> = {},
  ): number[] {
    // The special tokens recognized, and the text around them: gaps[i] comes before tokens[i].
    const gaps = [''];
    const tokens: AddedToken[] = [];
    for (const segment of segments) {
      if (typeof segment.text !== 'string') throw new InvalidArgumentError('encodeSegments expects strings');
      if (segment.splitSpecialTokens) {
        gaps[gaps.length - 1] += segment.text;
        continue;
      }
      this.finder.split(
        segment.text,
        (text) => (gaps[gaps.length - 1] += text),
        (content) => {
          tokens.push(this.special.get(content)!);
          gaps.push('');
        },
      );
    }
    // Whitespace next to an lstrip/rstrip token is dropped, as the full tokenizer drops it.
    tokens.forEach((token, i) => {
      if (token.lstrip) gaps[i] = gaps[i]!.trimEnd();
      if (token.rstrip) gaps[i + 1] = gaps[i + 1]!.trimStart();
    });
    // Each gap is one section, normalized and merged as a whole, with any special-token text in
    // it as characters (HF's split_special_tokens); non-special added tokens still match in it.
    // Gaps are encoded one by one: equal to the full tokenizer where each section is normalized
    // alone (Llama-style Prepend normalizer: Phi-3, InternLM2), not for a Metaspace pre-tokenizer
    // with prepend_scheme "first", which looks at the section's index.
    const plain = (this.plain ??= this.withoutSpecialTokens());
    const [before, after] = this.postProcessed(options.addBos ?? true);
    const ids = [...before];
    gaps.forEach((gap, i) => {
      if (gap.length > 0) for (const id of plain.encode(gap, { add_special_tokens: false }).ids) ids.push(id);
      if (i < tokens.length) ids.push(tokens[i]!.id);
    });
    for (const id of after) ids.push(id);
    return ids;
  }

  private withoutSpecialTokens(): Tokenizer {
    const added = Array.isArray(this.json.added_tokens) ? (this.json.added_tokens as unknown[]) : [];
    const json = {
      ...this.json,
      added_tokens: added.filter((t) => (t as { special?: unknown }).special !== true),
    };
    return new Tokenizer(json, { clean_up_tokenization_spaces: false, ...this.config });
  }

  /** What the post-processor puts around a sequence (BOS for Llama-style tokenizers), as ids. */
  private postProcessed(addSpecial: boolean): readonly [number[], number[]] {
    let found = this.around.get(addSpecial);
    if (found) return found;
    const process = this.inner.post_processor;
    found = [[], []];
    if (process !== null) {
      const marker = '\u0000sequence\u0000';
      const { tokens } = process([marker], null, addSpecial);
      const at = tokens.indexOf(marker);
      if (at < 0) throw new Error('the post-processor dropped the sequence');
      const id = (token: string): number => {
        const tokenId = this.inner.token_to_id(token) ?? this.inner.model?.unk_token_id;
        if (tokenId === undefined) throw new Error(`the post-processor added ${token}, which has no id`);
        return tokenId;
      };
      found = [tokens.slice(0, at).map(id), tokens.slice(at + 1).map(id)];
    }
    this.around.set(addSpecial, found);
    return found;
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
  return new HfTextTokenizer(inner, json, config);
}
