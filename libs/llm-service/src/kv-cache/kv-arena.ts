import { InternalError } from '@internvl/errors';
import type { FloatArray } from '@internvl/float-formats';
import { kvArray, type KvLayout } from './kv-layout';

/**
 * The cache of the sequences being computed: per layer one key and one value buffer
 * `[rowCapacity, kvHeads, capacity, headDim]`, a sequence per row. Rows in use are kept dense
 * (0…rows−1), so one decode step feeds the first `rows` rows of every buffer to the decoder as they
 * are: a typed-array view, no copy (onnxruntime-node wraps input arrays in place). A step's new K/V
 * rows are written in at each row's length.
 *
 * Why rows and not scattered blocks: the decoder reads a batch's cache as one tensor, and
 * gathering blocks into one would copy the whole cache every step (the cost this replaces).
 * Buffers are re-laid out only when rows or positions outgrow them (rows double; positions gain
 * ~2·√positions of headroom, the cheapest trade of padding read every step against copies) or when
 * mostly empty.
 */
export class KvArena {
  private keys: FloatArray[] = [];
  private values: FloatArray[] = [];
  private rowCap = 0;
  private posCap = 0;

  constructor(readonly layout: KvLayout) {}

  get rowCapacity(): number {
    return this.rowCap;
  }

  /** Positions each row can hold (the P every run is fed). */
  get capacity(): number {
    return this.posCap;
  }

  get bytes(): number {
    let n = 0;
    for (const a of this.keys) n += a.byteLength;
    for (const a of this.values) n += a.byteLength;
    return n;
  }

  /** Re-lays the buffers out as [rowCapacity, …, capacity, …], keeping rows' first `lengths[r]` positions. */
  relayout(rowCapacity: number, capacity: number, lengths: readonly number[]): void {
    if (lengths.length > rowCapacity || lengths.some((n) => n > capacity)) {
      throw new InternalError(
        `KV arena: ${lengths.length} rows up to ${Math.max(0, ...lengths)} positions do not fit ${rowCapacity}×${capacity}`,
      );
    }
    const { kvHeads: KV, headDim: HD, numLayers } = this.layout;
    const move = (old: FloatArray | undefined): FloatArray => {
      const next = kvArray(this.layout, rowCapacity * KV * capacity * HD);
      if (old) {
        lengths.forEach((n, r) => {
          for (let h = 0; h < KV; h++) {
            const from = (r * KV + h) * this.posCap * HD;
            (next as Float32Array).set(
              (old as Float32Array).subarray(from, from + n * HD),
              (r * KV + h) * capacity * HD,
            );
          }
        });
      }
      return next;
    };
    const keys: FloatArray[] = [];
    const values: FloatArray[] = [];
    for (let i = 0; i < numLayers; i++) {
      keys.push(move(this.keys[i]));
      values.push(move(this.values[i]));
    }
    this.keys = keys;
    this.values = values;
    this.rowCap = rowCapacity;
    this.posCap = capacity;
  }

  /** Drops the buffers. */
  clear(): void {
    this.keys = [];
    this.values = [];
    this.rowCap = 0;
    this.posCap = 0;
  }

  /** Per layer, views of rows [from, from + count) as `[count, kvHeads, capacity, headDim]`. */
  view(from: number, count: number): { keys: FloatArray[]; values: FloatArray[] } {
    const size = this.layout.kvHeads * this.posCap * this.layout.headDim;
    const cut = (a: FloatArray) => a.subarray(from * size, (from + count) * size);
    return { keys: this.keys.map(cut), values: this.values.map(cut) };
  }

  /** Layer i's key (kind 0) or value (kind 1) buffer. */
  buffer(layer: number, kind: 0 | 1): FloatArray {
    return (kind === 0 ? this.keys : this.values)[layer]!;
  }

  /** Copies row `from`'s first `length` positions over row `to`. */
  moveRow(from: number, to: number, length: number): void {
    const { kvHeads: KV, headDim: HD } = this.layout;
    for (const a of [...this.keys, ...this.values]) {
      for (let h = 0; h < KV; h++) {
        const src = (from * KV + h) * this.posCap * HD;
        a.copyWithin((to * KV + h) * this.posCap * HD, src, src + length * HD);
      }
    }
  }

  /**
   * Copies positions [at, at + count) of `row` out to (`toBlock` true) or in from a block laid out
   * `[layer, key|value, kvHeads, count, headDim]`.
   */
  transfer(row: number, at: number, count: number, block: FloatArray, toBlock: boolean): void {
    const { kvHeads: KV, headDim: HD, numLayers } = this.layout;
    const span = count * HD;
    for (let i = 0; i < numLayers; i++) {
      for (let kind = 0; kind < 2; kind++) {
        const a = (kind === 0 ? this.keys : this.values)[i]! as Float32Array;
        for (let h = 0; h < KV; h++) {
          const rowAt = ((row * KV + h) * this.posCap + at) * HD;
          const blockAt = ((i * 2 + kind) * KV + h) * span;
          if (toBlock) (block as Float32Array).set(a.subarray(rowAt, rowAt + span), blockAt);
          else a.set((block as Float32Array).subarray(blockAt, blockAt + span), rowAt);
        }
      }
    }
  }
}
