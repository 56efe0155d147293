import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { closeJsonPrefix } from './support/json-prefix';

test('cut-off JSON prefixes close into values; non-JSON stays unparseable', () => {
  const cases: [string, unknown][] = [
    ['{"a": "tex', { a: 'tex' }],
    ['{"a": 1, "b', { a: 1, b: null }],
    ['{"a": [1, {"b": tru', { a: [1, { b: true }] }],
    ['{"a": nu', { a: null }],
    ['{"a": [1, 2,', { a: [1, 2] }],
    ['{"a":', { a: null }],
    ['{"k\\"ey": "v\\', { 'k"ey': 'v' }],
    ['{', {}],
  ];
  for (const [prefix, expected] of cases) {
    if (expected === undefined) assert.throws(() => JSON.parse(closeJsonPrefix(prefix)), prefix);
    else assert.deepEqual(JSON.parse(closeJsonPrefix(prefix)), expected, prefix);
  }
  assert.throws(() => JSON.parse(closeJsonPrefix('hello {')));
  assert.throws(() => JSON.parse(closeJsonPrefix('{"a" 1')));
});
