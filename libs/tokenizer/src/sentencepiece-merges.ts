/** A vocabulary entry as the merge extractor sees it. */
export interface ScoredPiece {
  piece: string;
  score: number;
}

/**
 * BPE merges implied by a SentencePiece-BPE vocabulary, ordered exactly like transformers'
 * `SentencePieceExtractor.extract(vocab_scores)`: for every piece (in id order) each split
 * into two pieces that are both in the vocabulary is a merge, a piece's own merges sorted by
 * (left id, right id); then all merges are stably sorted by the merged piece's score, highest
 * first. SentencePiece BPE applies the merge whose result scores highest, so this order makes
 * HF's rank-based BPE give the same segmentation.
 */
export function extractMerges(pieces: readonly ScoredPiece[]): [string, string][] {
  const ids = new Map<string, number>();
  pieces.forEach((p, id) => {
    if (!ids.has(p.piece)) ids.set(p.piece, id);
  });
  const found: { left: string; right: string; score: number; l: number; r: number }[] = [];
  for (const { piece, score } of pieces) {
    // Python slices by code point; split the same way so astral characters stay whole.
    const chars = Array.from(piece);
    const local: typeof found = [];
    for (let i = 1; i < chars.length; i++) {
      const left = chars.slice(0, i).join('');
      const right = chars.slice(i).join('');
      const l = ids.get(left);
      const r = ids.get(right);
      if (l !== undefined && r !== undefined) local.push({ left, right, score, l, r });
    }
    local.sort((a, b) => a.l - b.l || a.r - b.r);
    found.push(...local);
  }
  // Array.prototype.sort is stable (ES2019), like Python's sorted(..., reverse=True).
  found.sort((a, b) => b.score - a.score);
  return found.map((m) => [m.left, m.right]);
}
