import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pythonSetOrder, pythonTupleHash } from './python-set-order';

const asSigned = (h: bigint) => BigInt.asIntN(64, h);

test('tuple hashes equal CPython 3.11 hash((a, b))', () => {
  assert.equal(asSigned(pythonTupleHash([1, 1])), 8389048192121911274n);
  assert.equal(asSigned(pythonTupleHash([1, 2])), -3550055125485641917n);
  assert.equal(asSigned(pythonTupleHash([2, 1])), 6794810172467074373n);
  assert.equal(asSigned(pythonTupleHash([12, 40])), -5953789121506226533n);
});

test('set iteration order equals CPython for the max_num 6 candidate set', () => {
  const added: [number, number][] = [];
  for (let n = 1; n <= 6; n++) {
    for (let i = 1; i <= n; i++) for (let j = 1; j <= n; j++) if (i * j <= 6) added.push([i, j]);
  }
  assert.deepEqual(pythonSetOrder(added), [
    [1, 2],
    [2, 1],
    [4, 1],
    [3, 1],
    [1, 5],
    [1, 1],
    [6, 1],
    [5, 1],
    [1, 4],
    [2, 3],
    [2, 2],
    [1, 6],
    [3, 2],
    [1, 3],
  ]);
});
