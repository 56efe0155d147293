import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { ResourceExhaustedError } from '@internvl/errors';
import { KvAdmission } from './kv-admission';
import { KvCacheManager } from './kv-cache-manager';
import { bytesPerPosition, type KvLayout } from './kv-layout';

const LAYOUT: KvLayout = { numLayers: 2, kvHeads: 2, headDim: 4, dtype: 'float32' };
const BPP = bytesPerPosition(LAYOUT); // 128
/** Room for 2 rows of 128 positions (or 1 of 256, or 4 of 64). */
const BUDGET = 256 * BPP;

test('bytesAlone and fitsAlone count the aligned length of one sequence', () => {
  const a = new KvAdmission(BUDGET, BPP);
  assert.equal(a.bytesAlone(1), 64 * BPP);
  assert.equal(a.bytesAlone(100), 128 * BPP);
  assert.equal(a.bytesAlone(256), 256 * BPP);
  assert.equal(a.fitsAlone(256), true);
  // 257 positions take 320 once aligned: it could never run, even alone.
  assert.equal(a.fitsAlone(257), false);
  assert.equal(a.canAdmit(257), false);
  assert.equal(new KvAdmission(BUDGET - 1, BPP).fitsAlone(256), false);
});

test('canAdmit counts every admitted row at the longest reservation, aligned', () => {
  const a = new KvAdmission(BUDGET, BPP);
  assert.equal(a.canAdmit(200), true);
  a.admit(1, 100); // 128 once aligned
  assert.equal(a.admitted, 1);
  assert.equal(a.canAdmit(128), true, '2 × 128');
  assert.equal(a.canAdmit(129), false, '2 × 192: aligned up, over the budget');
  assert.equal(a.canAdmit(1), true, '2 × 128: the short one is counted at the longest length');
  a.admit(2, 10);
  // Three rows at 128 positions, though the newcomer wants one.
  assert.equal(a.canAdmit(1), false);
});

test('many short sequences fit where few long ones do', () => {
  const a = new KvAdmission(BUDGET, BPP);
  for (let s = 1; s <= 3; s++) {
    assert.equal(a.canAdmit(64), true, `row ${s}`);
    a.admit(s, 64);
  }
  assert.equal(a.canAdmit(64), true, 'fourth row of 64');
  a.admit(4, 64);
  assert.equal(a.canAdmit(1), false, 'a fifth row would pass the budget');
});

test('release frees room; releasing an unknown sequence or admitting one twice changes nothing', () => {
  const a = new KvAdmission(BUDGET, BPP);
  a.admit(1, 200);
  assert.equal(a.canAdmit(10), false, '2 × 256');
  a.admit(1, 200);
  assert.equal(a.admitted, 1);
  a.release(7);
  assert.equal(a.admitted, 1);
  a.release(1);
  assert.equal(a.admitted, 0);
  assert.equal(a.canAdmit(10), true);
  assert.equal(a.canAdmit(256), true);
});

test('what admission lets in, the cache manager can hold under the same budget', () => {
  const a = new KvAdmission(BUDGET, BPP);
  const m = new KvCacheManager({
    layout: LAYOUT,
    budgetBytes: BUDGET,
    blockTokens: 4,
    prefixCaching: true,
    maxRows: 4,
  });
  const wants = [
    [1, 90],
    [2, 120],
  ];
  for (const [seq, positions] of wants) {
    assert.equal(a.canAdmit(positions!), true);
    a.admit(seq!, positions!);
    m.open(seq!, {
      ids: Array.from({ length: 10 }, (_, i) => seq! * 100 + i),
      promptLength: 10,
      imageContextId: 0,
      images: [],
      regime: 'r0',
    });
  }
  // Each sequence reserves (and fills) its full length: it never runs out.
  for (const [seq, positions] of wants) {
    m.reserve(seq!, positions!);
    m.advance(
      seq!,
      Array.from({ length: positions! }, (_, i) => seq! * 100 + i),
      'r0',
    );
    assert.ok(m.stats().heldBytes <= BUDGET);
  }
  assert.deepEqual(m.rowLengths(), [90, 120]);
  // A third, refused by admission, is also what the manager could not hold.
  assert.equal(a.canAdmit(64), false);
  assert.throws(() => {
    m.open(3, { ids: [1, 2, 3], promptLength: 3, imageContextId: 0, images: [], regime: 'r0' });
    m.reserve(3, 64);
  }, ResourceExhaustedError);
});
