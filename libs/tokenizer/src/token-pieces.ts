import type { TextTokenizer } from './load-tokenizer';

/** One token's own text and bytes, as OpenAI's logprobs entries show a token. */
export interface TokenPiece {
  /**
   * The piece as text: SentencePiece's `▁` is a space (kept at the start too, " Hello"), special
   * tokens are their literal text. A byte-fallback token (`<0x0A>`) is its byte: the character for
   * ASCII, else `\xNN` (the byte is only part of a character; OpenAI writes such tokens this way).
   */
  text: string;
  /** The piece's exact UTF-8 bytes, or the raw byte of a byte-fallback token. Concatenating the
   * bytes of an answer's tokens gives its UTF-8 text. */
  bytes: Uint8Array;
}

const SPACE_PIECE = '\u2581';
const BYTE_PIECE = /^<0x([0-9A-Fa-f]{2})>$/;
const EMPTY: TokenPiece = { text: '', bytes: new Uint8Array(0) };
const cache = new WeakMap<Pick<TextTokenizer, 'tokenOf'>, Map<number, TokenPiece>>();

/**
 * The piece of token `id` in a SentencePiece-style vocabulary (Llama/Phi-3, InternLM2): the
 * tokenizer's id → token string, with `▁` → space and byte fallback resolved. Ids without a token
 * (the padding rows a model's vocabulary may have past the tokenizer's) are an empty piece.
 * Cached per tokenizer.
 */
export function tokenPiece(tokenizer: Pick<TextTokenizer, 'tokenOf'>, id: number): TokenPiece {
  let pieces = cache.get(tokenizer);
  if (!pieces) cache.set(tokenizer, (pieces = new Map()));
  let piece = pieces.get(id);
  if (!piece) pieces.set(id, (piece = pieceOf(tokenizer.tokenOf(id))));
  return piece;
}

function pieceOf(token: string | undefined): TokenPiece {
  if (token === undefined) return EMPTY;
  const byte = BYTE_PIECE.exec(token);
  if (byte) {
    const value = parseInt(byte[1]!, 16);
    const text = value < 0x80 ? String.fromCharCode(value) : `\\x${value.toString(16).padStart(2, '0')}`;
    return { text, bytes: Uint8Array.of(value) };
  }
  const text = token.replaceAll(SPACE_PIECE, ' ');
  return { text, bytes: new TextEncoder().encode(text) };
}
