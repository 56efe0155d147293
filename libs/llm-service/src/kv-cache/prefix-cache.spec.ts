import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { FloatArray } from '@internvl/float-formats';
import { KvArena } from './kv-arena';
import { bytesPerPosition } from './kv-layout';
import { PrefixCache } from './prefix-cache';
import { assertRow, F16, F32, fillRow } from '../testing/kv-marks';

const B = 4;
const BLOCK = B * bytesPerPosition(F32); // 512
const ANY = () => Number.MAX_SAFE_INTEGER;

/** The blocks the cache really holds (its private map), to check `bytes` against real allocations. */
function heldBlocks(cache: PrefixCache): FloatArray[] {
  return [...(cache as unknown as { blocks: Map<string, FloatArray> }).blocks.values()];
}

function setup(layout = F32) {
  const arena = new KvArena(layout);
  arena.relayout(3, 64, []);
  return { arena, cache: new PrefixCache(layout, B) };
}

test('stored blocks are copies: loading them into another row gives exactly what was stored', () => {
  const { arena, cache } = setup();
  fillRow(arena, 0, 0, 16, 1);
  assert.equal(cache.store(['a', 'b', 'c'], 0, arena, 0, ANY), 3);
  assert.equal(cache.size, 3);
  // The source row changes afterwards; the cache keeps what it copied.
  fillRow(arena, 0, 0, 16, 9);
  cache.load(['a', 'b', 'c'], arena, 1);
  assertRow(arena, 1, 0, 12, 1);
  // Block k lands at positions k·blockTokens…; nothing past the loaded blocks is written.
  assertRow(arena, 1, 12, 52, null, 'untouched');
});

test('store starts at block `from` and skips blocks already cached', () => {
  const { arena, cache } = setup();
  fillRow(arena, 0, 0, 16, 1);
  cache.store(['a', 'b', 'c'], 0, arena, 0, ANY);
  fillRow(arena, 0, 0, 16, 2);
  // a…c are cached already: only d (positions 12…15, now tag 2) is taken.
  assert.equal(cache.store(['a', 'b', 'c', 'd'], 0, arena, 0, ANY), 1);
  assert.equal(cache.store(['a', 'b', 'c', 'd'], 0, arena, 0, ANY), 0, 'all cached');
  cache.load(['a', 'b', 'c', 'd'], arena, 2);
  assertRow(arena, 2, 0, 12, 1);
  assertRow(arena, 2, 12, 4, 2);
  assert.equal(cache.store(['x', 'y'], 1, arena, 0, ANY), 1, 'from = 1 skips block 0');
  assert.equal(cache.has('x'), false);
  assert.equal(cache.has('y'), true);
});

test('bytes are blocks × blockTokens × bytesPerPosition, the size of the arrays really held', () => {
  for (const layout of [F32, F16]) {
    const { arena, cache } = setup(layout);
    assert.equal(cache.bytes, 0);
    cache.store(['a', 'b', 'c'], 0, arena, 0, ANY);
    const block = B * bytesPerPosition(layout);
    assert.equal(cache.bytes, 3 * block);
    const held = heldBlocks(cache);
    assert.equal(held.length, 3);
    for (const a of held) assert.equal(a.buffer.byteLength, block, layout.dtype);
    assert.equal(
      held.reduce((n, a) => n + a.buffer.byteLength, 0),
      cache.bytes,
    );
  }
});

test('match counts the leading cached hashes only, and the counters add up queries and hits', () => {
  const { arena, cache } = setup();
  cache.store(['a', 'b', 'd'], 0, arena, 0, ANY);
  assert.deepEqual(cache.counters, { queriedTokens: 0, hitTokens: 0 });
  assert.equal(cache.match(['a', 'b', 'c', 'd'], 17), 2, 'stops at the first miss');
  assert.deepEqual(cache.counters, { queriedTokens: 17, hitTokens: 8 });
  assert.equal(cache.match(['x', 'a'], 5), 0);
  assert.equal(cache.match([], 3), 0);
  assert.deepEqual(cache.counters, { queriedTokens: 25, hitTokens: 8 });
});

test('least recently used goes first, a chain from its tail; a block loaded recently survives', () => {
  const threeBlocks = () => 3 * BLOCK;
  // Another chain needs room: the older chain loses its tail first, so its head stays usable.
  {
    const { arena, cache } = setup();
    fillRow(arena, 0, 0, 16, 1);
    cache.store(['a', 'b'], 0, arena, 0, threeBlocks);
    cache.store(['x', 'y'], 0, arena, 0, threeBlocks);
    assert.deepEqual(
      ['a', 'b', 'x', 'y'].map((h) => cache.has(h)),
      [true, false, true, true],
    );
  }
  // Loading a chain makes the other one the oldest.
  {
    const { arena, cache } = setup();
    fillRow(arena, 0, 0, 16, 1);
    cache.store(['a', 'b'], 0, arena, 0, threeBlocks);
    cache.store(['x'], 0, arena, 0, threeBlocks);
    cache.load(['a', 'b'], arena, 1);
    cache.store(['y'], 0, arena, 0, threeBlocks);
    assert.deepEqual(
      ['a', 'b', 'x', 'y'].map((h) => cache.has(h)),
      [true, true, false, true],
    );
    assert.ok(cache.bytes <= threeBlocks());
    // What survived is still exactly what was stored.
    cache.load(['a'], arena, 2);
    assertRow(arena, 2, 0, 4, 1);
  }
  // A chain never evicts its own head to store its tail: it stores less instead.
  {
    const { arena, cache } = setup();
    fillRow(arena, 0, 0, 16, 1);
    cache.store(['a', 'b'], 0, arena, 0, () => 2 * BLOCK);
    assert.equal(
      cache.store(['a', 'b', 'c'], 2, arena, 0, () => 2 * BLOCK),
      0,
    );
    assert.deepEqual(
      ['a', 'b', 'c'].map((h) => cache.has(h)),
      [true, true, false],
    );
  }
});

test('store never lets the cache outgrow `room`, and stores nothing when a block cannot fit', () => {
  const { arena, cache } = setup();
  fillRow(arena, 0, 0, 16, 1);
  assert.equal(
    cache.store(['a', 'b'], 0, arena, 0, () => BLOCK - 1),
    0,
  );
  assert.equal(cache.size, 0);
  let room = 2 * BLOCK + 100;
  cache.store(['a', 'b', 'c', 'd'], 0, arena, 0, () => room);
  assert.ok(cache.bytes <= room);
  assert.equal(cache.bytes, 2 * BLOCK);
  // Less room later (the arena grew): the next store first evicts down to it.
  room = BLOCK;
  cache.store(['e'], 0, arena, 0, () => room);
  assert.equal(cache.bytes, BLOCK);
  assert.ok(cache.has('e'));
});

test('shrinkTo evicts least recently used blocks until the cache holds at most the bytes', () => {
  const { arena, cache } = setup();
  cache.store(['a', 'b', 'c'], 0, arena, 0, ANY);
  cache.shrinkTo(3 * BLOCK);
  assert.equal(cache.size, 3);
  cache.shrinkTo(2 * BLOCK);
  // The chain's tail is its least recently used block.
  assert.deepEqual(
    ['a', 'b', 'c'].map((h) => cache.has(h)),
    [true, true, false],
  );
  cache.shrinkTo(BLOCK - 1);
  assert.equal(cache.size, 0);
  assert.equal(cache.bytes, 0);
});

test('clear drops every block but keeps the counters', () => {
  const { arena, cache } = setup();
  cache.store(['a', 'b'], 0, arena, 0, ANY);
  cache.match(['a'], 4);
  cache.clear();
  assert.equal(cache.size, 0);
  assert.equal(cache.bytes, 0);
  assert.equal(cache.match(['a'], 4), 0);
  assert.deepEqual(cache.counters, { queriedTokens: 8, hitTokens: 4 });
});

test('float16 blocks round-trip bit-exactly', () => {
  const { arena, cache } = setup(F16);
  fillRow(arena, 0, 0, 8, 3);
  cache.store(['a', 'b'], 0, arena, 0, ANY);
  cache.load(['a', 'b'], arena, 2);
  assertRow(arena, 2, 0, 8, 3);
});
