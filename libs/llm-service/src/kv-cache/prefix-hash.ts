import { createHash } from 'node:crypto';

/** What fills a sequence's positions, for keying its cached blocks. */
export interface PrefixContent {
  /** Token ids of every position (prompt, then fed tokens). */
  ids: ArrayLike<number>;
  /** Positions before this are the prompt; <IMG_CONTEXT> there stands for an image row. */
  promptLength: number;
  imageContextId: number;
  /** Per image of the prompt, in order: its rows' content digest and row count. */
  images: readonly { digest: string; rows: number }[];
  /** The rotation regime its keys were stored with (RotaryRegime.key). */
  regime: string;
}

/** A digest of an image's embedding rows: equal rows, equal cache. */
export function imageDigest(rows: ArrayBufferView): string {
  return createHash('sha256')
    .update(new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength))
    .digest('hex');
}

/**
 * Hashes of the full `blockTokens`-sized blocks of the first `length` positions, each chained on
 * the one before (vLLM's automatic prefix caching): block k's hash names every position 0…end of
 * block k, so equal hashes mean equal cache contents. An image position hashes its image's digest
 * and row, so the same text with another image never matches; the regime seeds the chain, so keys
 * rotated another way never match either.
 */
export function prefixBlockHashes(content: PrefixContent, length: number, blockTokens: number): string[] {
  const hashes: string[] = [];
  let previous = createHash('sha256').update(`regime:${content.regime}`).digest('hex');
  let image = 0;
  let row = 0;
  for (let start = 0; start + blockTokens <= length; start += blockTokens) {
    const h = createHash('sha256').update(previous);
    const plain = new Int32Array(blockTokens);
    for (let t = start; t < start + blockTokens; t++) {
      const id = content.ids[t]!;
      if (t < content.promptLength && id === content.imageContextId && image < content.images.length) {
        const img = content.images[image]!;
        plain[t - start] = -1;
        h.update(`img:${img.digest}:${row}`);
        if (++row === img.rows) {
          image++;
          row = 0;
        }
      } else plain[t - start] = id;
    }
    previous = h.update(new Uint8Array(plain.buffer)).digest('hex');
    hashes.push(previous);
  }
  return hashes;
}
