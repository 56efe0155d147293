import type { FloatArray, FloatType } from '@internvl/float-formats';

/** The shape of a decoder's cache: per layer a key and a value `[kvHeads, positions, headDim]`. */
export interface KvLayout {
  numLayers: number;
  kvHeads: number;
  headDim: number;
  dtype: FloatType;
}

/** Arena position capacities are multiples of this (bounds re-layouts, keeps budgets predictable). */
export const POSITION_ALIGN = 64;

export function alignPositions(n: number): number {
  return Math.ceil(n / POSITION_ALIGN) * POSITION_ALIGN;
}

/** Bytes one cached position takes over all layers (keys and values). */
export function bytesPerPosition(layout: KvLayout): number {
  return layout.numLayers * 2 * layout.kvHeads * layout.headDim * (layout.dtype === 'float16' ? 2 : 4);
}

export function kvArray(layout: KvLayout, length: number): FloatArray {
  return layout.dtype === 'float16' ? new Uint16Array(length) : new Float32Array(length);
}

/** An array for `positions` positions of every layer's keys and values (a block's layout). */
export function kvPositionsArray(layout: KvLayout, positions: number): FloatArray {
  return kvArray(layout, layout.numLayers * 2 * layout.kvHeads * layout.headDim * positions);
}
