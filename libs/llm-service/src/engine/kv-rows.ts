/** KV cache values: float32, or float16 bit patterns (Node 20 has no Float16Array). */
export type KvArray = Float32Array | Uint16Array;

/** One sequence's rows inside a `[rows, heads, capacity, headDim]` KV tensor. */
export interface KvRowSource {
  data: KvArray;
  /** Positions the tensor holds per row (its third dimension). */
  capacity: number;
  /** Which row of the tensor. */
  row: number;
  /** Valid positions of this row (the rest is padding). */
  length: number;
}

/**
 * Packs sequences' caches into one new `[sources.length, heads, capacity, headDim]` tensor, each
 * row right-padded: GroupQueryAttention reads only the first `seqlens_k + 1` positions of a row,
 * so the padding is never looked at and is left as zeros.
 */
export function packKvRows(
  sources: readonly KvRowSource[],
  dtype: 'float32' | 'float16',
  heads: number,
  headDim: number,
  capacity: number,
): KvArray {
  const size = sources.length * heads * capacity * headDim;
  const out: KvArray = dtype === 'float16' ? new Uint16Array(size) : new Float32Array(size);
  sources.forEach((src, r) => {
    if (src.length > capacity) {
      throw new RangeError(`a KV row of ${src.length} positions does not fit a capacity of ${capacity}`);
    }
    const span = src.length * headDim;
    for (let h = 0; h < heads; h++) {
      const from = (src.row * heads + h) * src.capacity * headDim;
      const to = (r * heads + h) * capacity * headDim;
      (out as Float32Array).set((src.data as Float32Array).subarray(from, from + span), to);
    }
  });
  return out;
}
