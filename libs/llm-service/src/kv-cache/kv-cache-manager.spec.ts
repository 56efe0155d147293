import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { InternalError, InvalidArgumentError, ResourceExhaustedError } from '@internvl/errors';
import type { FloatArray } from '@internvl/float-formats';
import { KvCacheManager, type KvCacheOptions } from './kv-cache-manager';
import { bytesPerPosition, POSITION_ALIGN } from './kv-layout';
import type { PrefixContent } from './prefix-hash';
import { assertRow, F16, F32, fillRow } from '../testing/kv-marks';

const BPP = bytesPerPosition(F32); // 128
const B = 4;
const BLOCK = B * BPP; // 512
const ROW = POSITION_ALIGN * BPP; // one row of 64 positions: 8192
const IMG = 99;

function make(options: Partial<KvCacheOptions> = {}): KvCacheManager {
  return new KvCacheManager({
    layout: F32,
    budgetBytes: 1 << 30,
    blockTokens: B,
    prefixCaching: true,
    maxRows: 8,
    ...options,
  });
}

function prompt(ids: number[], extra: Partial<PrefixContent> = {}): PrefixContent {
  return { ids, promptLength: ids.length, imageContextId: IMG, images: [], regime: 'r0', ...extra };
}

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

// The KV a fake model computes is `mark`'s: it depends on the content `tag` (sequences sharing a
// prefix share a tag) and names its own place, so any misplaced or stale copy shows.

/** Asserts `seq`'s row holds at [from, from + count) what a `tag` sequence wrote there (zeros for null). */
function assertKv(
  m: KvCacheManager,
  seq: number,
  from: number,
  count: number,
  tag: number | null,
  what = '',
): void {
  assertRow(m.arena, m.rowOf(seq), from, count, tag, what, `seq ${seq}`);
}

/** What the decoder thread does for `ids` more positions: reserve, write the new K/V in, advance. */
function step(m: KvCacheManager, seq: number, ids: number[], tag: number, regime = 'r0'): void {
  const at = m.lengthOf(seq);
  m.reserve(seq, ids.length);
  fillRow(m.arena, m.rowOf(seq), at, ids.length, tag);
  m.advance(seq, ids, regime);
}

/** Opens `seq` and computes the rest of its prompt; returns the positions the cache gave. */
function prefill(m: KvCacheManager, seq: number, content: PrefixContent, tag: number): number {
  const cached = m.open(seq, content);
  assert.equal(m.lengthOf(seq), cached);
  step(m, seq, Array.from(content.ids).slice(cached, content.promptLength), tag, content.regime);
  return cached;
}

/** The prefix cache's blocks (private), to weigh what it really allocated. */
function prefixArrays(m: KvCacheManager): FloatArray[] {
  return [...(m.prefix as unknown as { blocks: Map<string, FloatArray> }).blocks.values()];
}

/** Budget accounting equals the bytes really held, and stays under the budget. */
function assertAccounting(m: KvCacheManager, budget: number, layout = F32): void {
  const s = m.stats();
  const element = layout.dtype === 'float16' ? 2 : 4;
  const { keys, values } = m.arena.view(0, m.arena.rowCapacity);
  const arenaAllocated = [...keys, ...values].reduce((n, a) => n + a.buffer.byteLength, 0);
  const prefixAllocated = prefixArrays(m).reduce((n, a) => n + a.buffer.byteLength, 0);
  assert.equal(s.heldBytes, s.arenaBytes + s.prefixBytes);
  assert.equal(s.arenaBytes, m.arena.bytes);
  assert.equal(s.prefixBytes, m.prefix.bytes);
  assert.equal(
    s.arenaBytes,
    m.arena.rowCapacity * layout.kvHeads * m.arena.capacity * layout.headDim * element * 2 * layout.numLayers,
  );
  assert.equal(s.arenaBytes, arenaAllocated, 'arena bytes are the buffers allocated');
  assert.equal(s.prefixBytes, s.prefixBlocks * B * bytesPerPosition(layout));
  assert.equal(s.prefixBytes, prefixAllocated, 'prefix bytes are the blocks allocated');
  assert.ok(s.heldBytes <= budget, `held ${s.heldBytes} over budget ${budget}`);
  assert.ok(m.arena.rowCapacity >= m.rowsInUse, 'every sequence has a row in the arena');
  assert.equal(s.sequences, m.rowsInUse);
  assert.equal(
    s.usedPositions,
    m.rowLengths().reduce((n, l) => n + l, 0),
  );
  assert.equal(s.capacityPositions, m.arena.rowCapacity * m.arena.capacity);
  for (const l of m.rowLengths()) assert.ok(l <= m.arena.capacity);
}

test('a closed sequence’s prompt is reused bit-exactly by the next sequence with the same prompt', () => {
  const m = make();
  const c = prompt(range(1, 11));
  assert.equal(prefill(m, 1, c, 1), 0);
  m.close(1);
  assert.equal(m.has(1), false);
  let s = m.stats();
  assert.equal(s.sequences, 0);
  assert.equal(s.arenaBytes, 0);
  assert.equal(s.prefixBlocks, 2, '11 positions are 2 whole blocks');
  // Same prompt: its whole blocks come from the cache, exactly as sequence 1 computed them.
  const cached = m.open(2, c);
  assert.equal(cached, 8);
  assert.equal(m.lengthOf(2), 8);
  assertKv(m, 2, 0, 8, 1);
  assertKv(m, 2, 8, m.arena.capacity - 8, null, 'past the cached blocks');
  step(m, 2, range(9, 3), 2);
  assertKv(m, 2, 0, 8, 1);
  assertKv(m, 2, 8, 3, 2);
  s = m.stats();
  assert.equal(s.prefixQueriedTokens, 22);
  assert.equal(s.prefixHitTokens, 8);
  assertAccounting(m, 1 << 30);
});

test('open always leaves the last prompt position to compute and reuses whole blocks only', () => {
  const m = make();
  prefill(m, 1, prompt(range(1, 12)), 1);
  m.close(1);
  assert.equal(m.stats().prefixBlocks, 3);
  // 12 positions are cached, but the last must run for its logits: 2 blocks, not 3.
  assert.equal(m.open(2, prompt(range(1, 12))), 8);
  assertKv(m, 2, 0, 8, 1);
  assert.equal(m.open(3, prompt(range(1, 13))), 12);
  assertKv(m, 3, 0, 12, 1);
  assert.equal(m.open(4, prompt(range(1, 10))), 8, '9 positions: 2 blocks, the 9th is computed');
  assert.equal(m.open(5, prompt(range(1, 5))), 4);
  assert.equal(m.open(6, prompt(range(1, 4))), 0, 'a 4-token prompt leaves 3 cacheable positions');
  assert.equal(m.open(7, prompt(range(1, 1))), 0);
  assert.equal(m.stats().prefixHitTokens, 8 + 12 + 8 + 4);
  assertAccounting(m, 1 << 30);
});

test('a live sequence shares its prompt as soon as the prompt is complete', () => {
  const m = make();
  const c = prompt(range(1, 11));
  prefill(m, 1, c, 1);
  assert.equal(m.open(2, c), 8);
  assertKv(m, 2, 0, 8, 1);
  assertKv(m, 1, 0, 11, 1, 'the source row is untouched');
  // A prompt computed in chunks is shared once complete.
  const d = prompt(range(50, 9));
  m.open(3, d);
  step(m, 3, range(50, 5), 3);
  step(m, 3, range(55, 4), 3);
  assert.equal(m.open(4, d), 8);
  assertKv(m, 4, 0, 8, 3);
  assertAccounting(m, 1 << 30);
});

test('answer blocks are kept at close: a follow-up prompt repeating prompt + answer reuses them', () => {
  const m = make();
  prefill(m, 1, prompt(range(1, 6)), 1);
  for (const t of [50, 51, 52, 53, 54, 55]) step(m, 1, [t], 1);
  assert.equal(m.lengthOf(1), 12);
  m.close(1);
  assert.equal(m.stats().prefixBlocks, 3);
  const followUp = prompt([...range(1, 6), 50, 51, 52, 53, 54, 55, 60]);
  assert.equal(m.open(2, followUp), 12);
  assertKv(m, 2, 0, 12, 1);
  // Another answer matches only up to where it differs (whole blocks).
  assert.equal(m.open(3, prompt([...range(1, 6), 50, 51, 52, 99, 54, 55, 60])), 8);
});

test('positions stored under another rotation regime are not offered to the cache', () => {
  const m = make();
  prefill(m, 1, prompt(range(1, 6)), 1);
  step(m, 1, [50, 51], 1); // positions 6…7 rotate like the prompt
  for (const t of [52, 53, 54, 55]) step(m, 1, [t], 1, 'r1'); // the rest another way
  m.close(1);
  assert.equal(m.stats().prefixBlocks, 2);
  assert.equal(m.open(2, prompt([...range(1, 6), 50, 51, 52, 53, 54, 55, 60])), 8);
  assertKv(m, 2, 0, 8, 1);
  // Nor is a regime change back to r0 later a way in.
  const m2 = make();
  prefill(m2, 1, prompt(range(1, 6)), 1);
  step(m2, 1, [50], 1, 'r1');
  step(m2, 1, [51, 52, 53, 54, 55], 1);
  m2.close(1);
  assert.equal(m2.stats().prefixBlocks, 1, 'only the block before the r1 position');
});

test('another image at the same positions, another regime or an earlier token is never reused', () => {
  const m = make();
  const ids = [1, 2, ...Array<number>(8).fill(IMG), 3, 4, 5, 6, 7, 8, 9];
  const base = prompt(ids, { images: [{ digest: 'd1', rows: 8 }] });
  prefill(m, 1, base, 1);
  m.close(1);
  assert.equal(m.stats().prefixBlocks, 4);
  assert.equal(m.open(2, { ...base, images: [{ digest: 'd2', rows: 8 }] }), 0, 'other image');
  assert.equal(m.open(3, { ...base, regime: 'long:4096' }), 0, 'other regime');
  const first = [...ids];
  first[0] = 7;
  assert.equal(m.open(4, { ...base, ids: first }), 0, 'other first token');
  const later = [...ids];
  later[13] = 77;
  assert.equal(m.open(5, { ...base, ids: later }), 12, 'blocks before the changed token only');
  assertKv(m, 5, 0, 12, 1);
  assert.equal(m.open(6, base), 16);
  assertKv(m, 6, 0, 16, 1);
  // Rows that got nothing from the cache start empty.
  for (const seq of [2, 3, 4]) assertKv(m, seq, 0, m.arena.capacity, null);
  assertAccounting(m, 1 << 30);
});

test('under a tiny budget the least recently used block goes; a block used recently survives', () => {
  // One row of 64 positions and two blocks.
  const budget = ROW + 2 * BLOCK;
  const m = make({ budgetBytes: budget, maxRows: 1 });
  const A = prompt([101, 1, 2, 3, 4]);
  const Bp = prompt([102, 1, 2, 3, 4]);
  const C = prompt([103, 1, 2, 3, 4]);
  prefill(m, 1, A, 1);
  m.close(1);
  assertAccounting(m, budget);
  prefill(m, 2, Bp, 2);
  m.close(2);
  assertAccounting(m, budget);
  assert.equal(m.stats().prefixBlocks, 2);
  // A is used again: now B's block is the oldest.
  assert.equal(prefill(m, 3, A, 1), 4);
  assertKv(m, 3, 0, 5, 1);
  m.close(3);
  prefill(m, 4, C, 3);
  assertAccounting(m, budget);
  m.close(4);
  assertAccounting(m, budget);
  assert.equal(m.stats().prefixBlocks, 2);
  assert.equal(m.open(5, Bp), 0, 'B was evicted');
  m.close(5);
  assert.equal(m.open(6, A), 4, 'A survived');
  assertKv(m, 6, 0, 4, 1);
  m.close(6);
  assert.equal(m.open(7, C), 4, 'C was stored');
  assertKv(m, 7, 0, 4, 3);
  assertAccounting(m, budget);
});

test('churn under a tiny budget: accounting stays exact, under budget, and every reuse is exact', () => {
  // Two rows of 64 positions and three blocks.
  const budget = 2 * ROW + 3 * BLOCK;
  const m = make({ budgetBytes: budget, maxRows: 2 });
  const family = (f: number, length: number) => prompt([200 + f, ...range(1, length - 1)]);
  const tagOf = new Map<number, number>();
  let seq = 0;
  let loaded = 0;
  let reused = 0;
  const start = (f: number, length: number): number => {
    seq++;
    const cached = prefill(m, seq, family(f, length), f + 1);
    if (cached > 0) {
      reused++;
      assertKv(m, seq, 0, cached, f + 1, `family ${f} from the cache`);
    }
    loaded += cached;
    tagOf.set(seq, f + 1);
    assertAccounting(m, budget);
    return seq;
  };
  // Families come back soon (reused) and late (evicted by then), with other prompt lengths.
  const plan: [number, number][] = [
    [0, 9],
    [0, 9],
    [1, 13],
    [1, 17],
    [0, 9],
    [2, 6],
    [2, 6],
    [3, 17],
    [0, 13],
    [3, 17],
    [1, 9],
    [2, 6],
  ];
  let previous: number | undefined;
  for (const [f, length] of plan) {
    const s = start(f, length);
    for (let t = 0; t < 5; t++) {
      for (const live of [previous, s]) {
        if (live !== undefined && m.has(live)) step(m, live, [300 + t], tagOf.get(live)!);
      }
      assertAccounting(m, budget);
    }
    if (previous !== undefined) {
      const length = m.lengthOf(previous);
      assertKv(m, previous, 0, length, tagOf.get(previous)!, 'before close');
      m.close(previous);
      assertAccounting(m, budget);
      assertKv(m, s, 0, m.lengthOf(s), tagOf.get(s)!, 'after the other row closed');
    }
    previous = s;
  }
  m.close(previous!);
  assertAccounting(m, budget);
  assert.ok(reused > 0, 'some prompts were reused');
  assert.equal(m.stats().prefixHitTokens, loaded, 'hits count exactly what was loaded');
  assert.ok(m.stats().prefixBlocks <= 3);
});

test('an open whose arena growth evicts the matched blocks loads only what is still cached', () => {
  // Two rows of 64 positions and one block: opening a second row leaves room for one block.
  const budget = 2 * ROW + BLOCK;
  const m = make({ budgetBytes: budget, maxRows: 2 });
  const c = prompt(range(1, 9));
  prefill(m, 1, c, 1);
  assert.equal(m.stats().prefixBlocks, 2);
  assertAccounting(m, budget);
  const cached = m.open(2, c);
  assertAccounting(m, budget);
  assert.equal(m.lengthOf(2), cached);
  assertKv(m, 2, 0, cached, 1);
  assert.equal(m.stats().prefixHitTokens, cached, 'hits count only what was loaded');
  step(m, 2, range(1 + cached, 9 - cached), 2);
  assertKv(m, 1, 0, 9, 1);
  assertKv(m, 2, 0, cached, 1);
  assertKv(m, 2, cached, 9 - cached, 2);
  assertAccounting(m, budget);
});

test('dense rows: closing a middle sequence moves the last row into the hole with its data', () => {
  const m = make();
  prefill(m, 1, prompt(range(1, 10)), 1);
  prefill(m, 2, prompt(range(100, 20)), 2);
  prefill(m, 3, prompt(range(200, 30)), 3);
  assert.deepEqual(
    [1, 2, 3].map((s) => m.rowOf(s)),
    [0, 1, 2],
  );
  m.close(2);
  assert.equal(m.rowsInUse, 2);
  assert.equal(m.rowOf(1), 0);
  assert.equal(m.rowOf(3), 1);
  assert.deepEqual(m.rowLengths(), [10, 30]);
  assertKv(m, 1, 0, 10, 1);
  assertKv(m, 3, 0, 30, 3);
  // The moved sequence carries on in its new row.
  step(m, 3, [7], 3);
  assertKv(m, 3, 0, 31, 3);
  m.close(1);
  assert.equal(m.rowOf(3), 0);
  assert.deepEqual(m.rowLengths(), [31]);
  assertKv(m, 3, 0, 31, 3);
  assertAccounting(m, 1 << 30);
  m.close(3);
  const s = m.stats();
  assert.equal(s.sequences, 0);
  assert.equal(s.arenaBytes, 0);
  assert.ok(s.prefixBlocks > 0);
  assert.equal(s.heldBytes, s.prefixBytes);
  assertAccounting(m, 1 << 30);
});

test('closing the last row moves nothing; closing an unknown sequence is a no-op', () => {
  const m = make({ prefixCaching: false });
  prefill(m, 1, prompt(range(1, 10)), 1);
  prefill(m, 2, prompt(range(100, 20)), 2);
  m.close(2);
  m.close(2);
  m.close(42);
  assert.equal(m.rowsInUse, 1);
  assert.equal(m.rowOf(1), 0);
  assertKv(m, 1, 0, 10, 1);
  assert.throws(() => m.rowOf(2), InvalidArgumentError);
  assert.throws(() => m.lengthOf(2), InvalidArgumentError);
  assert.throws(() => m.reserve(2, 1), InvalidArgumentError);
  assert.throws(() => m.advance(2, [1], 'r0'), InvalidArgumentError);
  assert.throws(() => m.open(1, prompt([1, 2])), InvalidArgumentError);
});

test('the arena gives memory back when rows get much shorter or fewer, keeping the data', () => {
  const m = make({ prefixCaching: false });
  prefill(m, 1, prompt(range(1, 200)), 1);
  prefill(m, 2, prompt(range(1000, 10)), 2);
  assert.ok(m.arena.capacity >= 256);
  m.close(1);
  assert.equal(m.arena.capacity, 64);
  assertKv(m, 2, 0, 10, 2);
  assert.equal(m.stats().arenaBytes, m.arena.rowCapacity * ROW);
  // Fewer rows: four rows, three closed.
  for (const s of [3, 4, 5]) prefill(m, s, prompt(range(10 * s, 5)), s);
  assert.equal(m.arena.rowCapacity, 4);
  const before = m.stats().arenaBytes;
  m.close(2);
  m.close(3);
  m.close(4);
  assert.equal(m.rowsInUse, 1);
  assert.ok(m.arena.rowCapacity < 4);
  assert.ok(m.stats().arenaBytes < before);
  assertKv(m, 5, 0, 5, 5);
  assertAccounting(m, 1 << 30);
});

test('growth keeps every row’s positions: reserving past capacity re-lays out, aligned', () => {
  const m = make({ prefixCaching: false });
  prefill(m, 1, prompt(range(1, 60)), 1);
  prefill(m, 2, prompt(range(100, 30)), 2);
  // 60 positions and ~2·√60 of headroom, aligned.
  assert.equal(m.arena.capacity, 128);
  m.reserve(1, 100);
  assert.ok(m.arena.capacity >= 160);
  assert.equal(m.arena.capacity % POSITION_ALIGN, 0);
  assertKv(m, 1, 0, 60, 1);
  assertKv(m, 2, 0, 30, 2);
  step(m, 1, range(500, 100), 1);
  assertKv(m, 1, 0, 160, 1);
  // More rows: the existing ones keep their data too.
  for (const s of [3, 4, 5]) prefill(m, s, prompt(range(10 * s, 3)), s);
  assert.ok(m.arena.rowCapacity >= 5);
  assertKv(m, 1, 0, 160, 1);
  assertKv(m, 2, 0, 30, 2);
  assertAccounting(m, 1 << 30);
});

test('advancing past what was reserved is an InternalError', () => {
  const m = make();
  m.open(1, prompt(range(1, 70)));
  m.reserve(1, 64);
  assert.throws(() => m.advance(1, range(1, m.arena.capacity + 1), 'r0'), InternalError);
  assert.equal(m.lengthOf(1), 0);
});

test('a growth the budget can never hold is RESOURCE_EXHAUSTED and leaves everything usable', () => {
  const budget = 2 * ROW;
  const m = make({ budgetBytes: budget, maxRows: 4 });
  prefill(m, 1, prompt(range(1, 30)), 1);
  assert.throws(() => m.reserve(1, 200), ResourceExhaustedError);
  assertAccounting(m, budget);
  assert.equal(m.lengthOf(1), 30);
  assertKv(m, 1, 0, 30, 1);
  step(m, 1, range(100, 34), 1); // up to the 64 the budget allows for one row
  prefill(m, 2, prompt(range(1000, 20)), 2);
  assert.throws(() => m.open(3, prompt([1, 2, 3])), ResourceExhaustedError);
  assert.equal(m.has(3), false);
  assert.equal(m.rowsInUse, 2);
  assertKv(m, 1, 0, 64, 1);
  assertKv(m, 2, 0, 20, 2);
  assertAccounting(m, budget);
  // Once a row is free, a new sequence fits again.
  m.close(1);
  assert.equal(prefill(m, 3, prompt([1, 2, 3]), 3), 0);
  assertAccounting(m, budget);
});

test('growth takes exactly what is needed when geometric growth would pass the budget', () => {
  const budget = 3 * ROW;
  const m = make({ budgetBytes: budget, prefixCaching: false });
  for (const s of [1, 2, 3]) prefill(m, s, prompt(range(10 * s, 5)), s);
  assert.equal(m.arena.rowCapacity, 3, 'not 4: four rows would pass the budget');
  for (const s of [1, 2, 3]) assertKv(m, s, 0, 5, s);
  assertAccounting(m, budget);
});

test('the arena grows by evicting prefix blocks', () => {
  const budget = 2 * ROW; // one row of 128 positions
  const m = make({ budgetBytes: budget, maxRows: 1 });
  prefill(m, 1, prompt(range(1, 40)), 1);
  assert.equal(m.stats().prefixBlocks, 10);
  assertAccounting(m, budget);
  m.reserve(1, 60);
  assert.equal(m.arena.capacity, 128);
  assert.equal(m.stats().prefixBlocks, 0);
  assertAccounting(m, budget);
  assertKv(m, 1, 0, 40, 1);
});

test('opening more sequences than maxRows still gives each its own row', () => {
  const m = make({ maxRows: 2, prefixCaching: false });
  for (const s of [1, 2, 3]) prefill(m, s, prompt(range(10 * s, 5)), s);
  assert.ok(m.arena.rowCapacity >= 3);
  for (const s of [1, 2, 3]) assertKv(m, s, 0, 5, s);
  assertAccounting(m, 1 << 30);
});

test('with prefixCaching false nothing is stored and open returns 0', () => {
  const m = make({ prefixCaching: false });
  const c = prompt(range(1, 20));
  assert.equal(prefill(m, 1, c, 1), 0);
  assert.equal(m.stats().prefixBlocks, 0);
  assert.equal(m.open(2, c), 0);
  m.close(1);
  m.close(2);
  assert.equal(m.open(3, c), 0);
  const s = m.stats();
  assert.equal(s.prefixBlocks, 0);
  assert.equal(s.prefixBytes, 0);
  assert.equal(s.prefixQueriedTokens, 0);
  assert.equal(s.prefixHitTokens, 0);
  assertAccounting(m, 1 << 30);
});

test('reset frees every sequence and the prefix cache', () => {
  const m = make();
  prefill(m, 1, prompt(range(1, 20)), 1);
  prefill(m, 2, prompt(range(50, 20)), 2);
  m.reset();
  assert.equal(m.has(1), false);
  assert.equal(m.rowsInUse, 0);
  const s = m.stats();
  assert.equal(s.heldBytes, 0);
  assert.equal(s.prefixBlocks, 0);
  assert.equal(m.open(1, prompt(range(1, 20))), 0);
  assertAccounting(m, 1 << 30);
});

test('float16: reuse and row moves are bit-exact', () => {
  const m = make({ layout: F16 });
  const c = prompt(range(1, 13));
  prefill(m, 1, c, 1);
  prefill(m, 2, prompt(range(100, 7)), 2);
  assert.equal(m.open(3, c), 12);
  assertKv(m, 3, 0, 12, 1);
  m.close(1);
  assert.equal(m.rowOf(3), 0);
  assertKv(m, 3, 0, 12, 1);
  assertKv(m, 2, 0, 7, 2);
  assertAccounting(m, 1 << 30, F16);
});
