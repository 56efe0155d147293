/**
 * Sets every logit whose bit is 0 in an xgrammar token bitmask (bit i of word i>>5) to -Infinity:
 * the tokens the grammar does not allow next. In place; returns `logits`.
 */
export function applyTokenBitmask(logits: Float32Array, mask: Int32Array): Float32Array {
  for (let w = 0; w < mask.length; w++) {
    const word = mask[w]!;
    if (word === -1) continue;
    const base = w << 5;
    const end = Math.min(base + 32, logits.length);
    for (let i = base; i < end; i++) if (((word >>> (i - base)) & 1) === 0) logits[i] = -Infinity;
  }
  return logits;
}

/** Whether token `id` is allowed by the mask. */
export function bitmaskAllows(mask: Int32Array, id: number): boolean {
  return ((mask[id >> 5]! >>> (id & 31)) & 1) === 1;
}
