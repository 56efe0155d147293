/** Options of {@link createStreamingDetokenizer}. */
export interface StreamingDetokenizerOptions {
  /** Decodes a list of ids to text (e.g. `ids => tokenizer.decode(ids)`), special tokens and all. */
  decode: (ids: readonly number[]) => string;
  /** Ids never shown as text (`<s>`, `<|end|>`, ...); they are dropped before decoding. */
  specialIds?: ReadonlySet<number>;
}

/** Turns a stream of token ids into a stream of text deltas. */
export interface StreamingDetokenizer {
  /** Adds one generated id; returns the text it completes (possibly ""). */
  push(id: number): string;
  /** Returns whatever is still held back (an incomplete UTF-8 tail shows as U+FFFD). */
  flush(): string;
}

const REPLACEMENT = '\uFFFD';

/**
 * UTF-8-safe incremental detokenizer (the vLLM/HF TextStreamer approach). It decodes a window of
 * ids twice, without and with the new tokens, and emits the difference:
 * - decoding a window that starts at an already-emitted token, never at the new one, keeps the
 *   new token's leading space, which SentencePiece decoders strip from the start of each decode;
 * - while the decoded text ends with U+FFFD the last byte-fallback tokens are an incomplete UTF-8
 *   sequence, so nothing is emitted until a later token completes it.
 * The joined deltas (plus `flush()`) equal `decode` of all non-special ids.
 */
export function createStreamingDetokenizer(options: StreamingDetokenizerOptions): StreamingDetokenizer {
  const { decode } = options;
  const specialIds = options.specialIds ?? new Set<number>();
  const ids: number[] = [];
  // ids[prefixOffset, readOffset) is the context decoded before the new tokens; ids[readOffset, …)
  // are the tokens not yet shown.
  let prefixOffset = 0;
  let readOffset = 0;

  function pending(): { prefix: string; full: string } {
    const prefix = decode(ids.slice(prefixOffset, readOffset));
    const full = decode(ids.slice(prefixOffset));
    return { prefix, full };
  }

  return {
    push(id) {
      if (specialIds.has(id)) return '';
      ids.push(id);
      const { prefix, full } = pending();
      if (full.length <= prefix.length || full.endsWith(REPLACEMENT)) return '';
      prefixOffset = readOffset;
      readOffset = ids.length;
      return full.slice(prefix.length);
    },
    flush() {
      if (readOffset === ids.length) return '';
      const { prefix, full } = pending();
      prefixOffset = readOffset;
      readOffset = ids.length;
      return full.length > prefix.length ? full.slice(prefix.length) : '';
    },
  };
}
