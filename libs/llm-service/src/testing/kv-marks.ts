import { strict as assert } from 'node:assert';
import type { FloatArray } from '@internvl/float-formats';
import type { KvArena } from '../kv-cache/kv-arena';
import type { KvLayout } from '../kv-cache/kv-layout';

// Test support shared by the KV-cache specs: small layouts, values that name their own place, and
// writing / checking positions of an arena row through its buffers.

export const F32: KvLayout = { numLayers: 2, kvHeads: 2, headDim: 4, dtype: 'float32' };
export const F16: KvLayout = { ...F32, dtype: 'float16' };

/**
 * A value naming its own place: which fill (tag), layer, key|value, head, position and channel, so
 * any misplaced or stale copy shows. Reduced below 65 521 for float16 buffers (raw bits).
 */
export function mark(
  layout: KvLayout,
  tag: number,
  layer: number,
  kind: number,
  head: number,
  pos: number,
  d: number,
): number {
  const v = tag * 1_000_000 + layer * 100_000 + kind * 50_000 + head * 10_000 + pos * 10 + d;
  return layout.dtype === 'float16' ? v % 65_521 : v;
}

/**
 * Visits positions [from, from + count) of arena row `row`, every layer, key|value, head and
 * channel: (buffer, index, the value `mark` gives that place for `tag`).
 */
export function eachPosition(
  arena: KvArena,
  row: number,
  from: number,
  count: number,
  tag: number,
  f: (buf: FloatArray, index: number, value: number) => void,
): void {
  const { numLayers, kvHeads: KV, headDim: HD } = arena.layout;
  const P = arena.capacity;
  for (let i = 0; i < numLayers; i++) {
    for (const kind of [0, 1] as const) {
      const buf = arena.buffer(i, kind);
      for (let h = 0; h < KV; h++) {
        for (let p = from; p < from + count; p++) {
          for (let d = 0; d < HD; d++) {
            f(buf, ((row * KV + h) * P + p) * HD + d, mark(arena.layout, tag, i, kind, h, p, d));
          }
        }
      }
    }
  }
}

/** Writes positions [from, from + count) of `row`, every layer/kind/head, through arena.buffer. */
export function fillRow(arena: KvArena, row: number, from: number, count: number, tag: number): void {
  eachPosition(arena, row, from, count, tag, (buf, i, v) => (buf[i] = v));
}

/**
 * Checks positions [from, from + count) of `row` hold what `fillRow(…, tag)` writes (zeros for
 * null); `label` names the row in the message.
 */
export function assertRow(
  arena: KvArena,
  row: number,
  from: number,
  count: number,
  tag: number | null,
  what = '',
  label = `row ${row}`,
): void {
  const got: number[] = [];
  const want: number[] = [];
  eachPosition(arena, row, from, count, tag ?? 0, (buf, i, v) => {
    got.push(buf[i]!);
    want.push(tag === null ? 0 : v);
  });
  assert.deepEqual(got, want, `${label} positions ${from}…${from + count - 1} ${what}`);
}
