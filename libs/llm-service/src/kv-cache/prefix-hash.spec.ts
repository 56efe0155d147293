import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { imageDigest, prefixBlockHashes, type PrefixContent } from './prefix-hash';

const IMG = 99;
const B = 4;

function text(ids: number[], regime = 'r0'): PrefixContent {
  return { ids, promptLength: ids.length, imageContextId: IMG, images: [], regime };
}

/** Index of the first hash that differs (hashes.length when equal throughout). */
function firstDifference(a: readonly string[], b: readonly string[]): number {
  let k = 0;
  while (k < a.length && k < b.length && a[k] === b[k]) k++;
  return k;
}

const ids16 = Array.from({ length: 16 }, (_, i) => 10 + i);

test('imageDigest names the bytes of the rows: equal rows equal, any change differs', () => {
  const rows = Float32Array.from({ length: 32 }, (_, i) => i * 0.5);
  assert.equal(imageDigest(rows), imageDigest(Float32Array.from(rows)));
  assert.match(imageDigest(rows), /^[0-9a-f]{64}$/);
  const changed = Float32Array.from(rows);
  changed[31] = 15.25;
  assert.notEqual(imageDigest(changed), imageDigest(rows));
  // Same values in another dtype are other bytes.
  assert.notEqual(imageDigest(Uint16Array.from(rows)), imageDigest(rows));
});

test('imageDigest reads only the view it is given, not the whole buffer behind it', () => {
  const big = Float32Array.from({ length: 64 }, (_, i) => i);
  const window = big.subarray(8, 24);
  assert.equal(imageDigest(window), imageDigest(Float32Array.from(window)));
  assert.notEqual(imageDigest(window), imageDigest(big));
});

test('prefixBlockHashes covers whole blocks only, and a longer length extends the same chain', () => {
  const c = text(ids16);
  assert.equal(prefixBlockHashes(c, 3, B).length, 0);
  assert.equal(prefixBlockHashes(c, 4, B).length, 1);
  assert.equal(prefixBlockHashes(c, 11, B).length, 2);
  const all = prefixBlockHashes(c, 16, B);
  assert.equal(all.length, 4);
  assert.equal(new Set(all).size, 4, 'every block has its own hash');
  assert.deepEqual(prefixBlockHashes(c, 11, B), all.slice(0, 2));
  assert.deepEqual(prefixBlockHashes(text([...ids16]), 16, B), all, 'deterministic');
});

test('a different token changes its block and every block after it, never one before', () => {
  const base = prefixBlockHashes(text(ids16), 16, B);
  for (const at of [0, 5, 11, 15]) {
    const ids = [...ids16];
    ids[at] = 7;
    const other = prefixBlockHashes(text(ids), 16, B);
    const block = Math.floor(at / B);
    assert.equal(firstDifference(base, other), block, `token ${at}`);
    for (let k = block; k < 4; k++) assert.notEqual(other[k], base[k], `token ${at}, block ${k}`);
  }
  // Moving a token within a block also changes it (positions, not a bag of ids).
  const swapped = [...ids16];
  [swapped[4], swapped[5]] = [swapped[5]!, swapped[4]!];
  assert.equal(firstDifference(base, prefixBlockHashes(text(swapped), 16, B)), 1);
});

test('the regime seeds the chain: another regime matches no block', () => {
  const a = prefixBlockHashes(text(ids16, 'r0'), 16, B);
  const b = prefixBlockHashes(text(ids16, 'long:8192'), 16, B);
  for (let k = 0; k < 4; k++) assert.notEqual(a[k], b[k]);
});

/** [1, 2, IMG × 8, 3, 4, 5, 6, 7, 8]: blocks 0…2 hold image rows, block 3 is text. */
function withImages(images: PrefixContent['images'], regime = 'r0'): PrefixContent {
  const ids = [1, 2, ...Array<number>(8).fill(IMG), 3, 4, 5, 6, 7, 8];
  return { ids, promptLength: ids.length, imageContextId: IMG, images, regime };
}

test('an image position hashes its image digest: another image at the same positions never matches', () => {
  const a = prefixBlockHashes(withImages([{ digest: 'd1', rows: 8 }]), 16, B);
  const b = prefixBlockHashes(withImages([{ digest: 'd2', rows: 8 }]), 16, B);
  assert.equal(a.length, 4);
  for (let k = 0; k < 4; k++) assert.notEqual(a[k], b[k], `block ${k}`);
  assert.deepEqual(prefixBlockHashes(withImages([{ digest: 'd1', rows: 8 }]), 16, B), a);
});

test('image rows are hashed by row: the same digests split differently or in another order differ', () => {
  const two = (a: string, ra: number, b: string, rb: number) =>
    prefixBlockHashes(
      withImages([
        { digest: a, rows: ra },
        { digest: b, rows: rb },
      ]),
      16,
      B,
    );
  const base = two('d1', 4, 'd2', 4);
  // Image rows 0…1 sit in block 0, rows 2…5 in block 1, rows 6…7 in block 2.
  assert.equal(firstDifference(base, two('d1', 3, 'd2', 5)), 1, 'first image ends within block 1');
  assert.equal(firstDifference(base, two('d1', 4, 'd3', 4)), 1, 'second image starts in block 1');
  assert.equal(firstDifference(base, two('d2', 4, 'd1', 4)), 0, 'order of the images');
  assert.equal(firstDifference(base, two('d1', 4, 'd2', 4)), 4);
});

test('an image and the same text with an image of other content differ; text outside images still matches', () => {
  // The image sits in block 2 only: blocks 0…1 are text, and equal whatever the image.
  const ids = [...ids16.slice(0, 8), IMG, IMG, IMG, IMG, 3, 4, 5, 6];
  const c = (digest: string): PrefixContent => ({
    ids,
    promptLength: 16,
    imageContextId: IMG,
    images: [{ digest, rows: 4 }],
    regime: 'r0',
  });
  const a = prefixBlockHashes(c('d1'), 16, B);
  const b = prefixBlockHashes(c('d2'), 16, B);
  assert.equal(firstDifference(a, b), 2);
  assert.notEqual(a[3], b[3]);
});

test('the image-context id past the prompt (a generated token) is a plain token, not an image row', () => {
  const ids = [1, 2, 3, 4, 5, 6, 7, 8, IMG, 9, 10, 11];
  const content = (promptLength: number, digest: string): PrefixContent => ({
    ids,
    promptLength,
    imageContextId: IMG,
    images: [{ digest, rows: 1 }],
    regime: 'r0',
  });
  // Past the prompt, no image digest enters the hash.
  assert.deepEqual(prefixBlockHashes(content(8, 'd1'), 12, B), prefixBlockHashes(content(8, 'd2'), 12, B));
  // In the prompt, it does.
  assert.notEqual(
    prefixBlockHashes(content(12, 'd1'), 12, B)[2],
    prefixBlockHashes(content(12, 'd2'), 12, B)[2],
  );
  // The image row and a plain token of the same id never hash alike.
  assert.notEqual(
    prefixBlockHashes(content(8, 'd1'), 12, B)[2],
    prefixBlockHashes(content(12, 'd1'), 12, B)[2],
  );
});
