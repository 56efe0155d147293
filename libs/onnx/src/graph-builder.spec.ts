import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError } from '@internvl/errors';
import { GraphBuilder } from './graph-builder';
import { serializeModel } from './save-model';

test('using a value before it exists fails at the call that used it', () => {
  const g = new GraphBuilder('g');
  const x = g.input('x', 'float32', [2]);
  assert.throws(
    () => g.op('Add', [x, 'typo']),
    (e: unknown) => e instanceof InvalidArgumentError && /typo/.test(e.message),
  );
  assert.throws(() => g.output('nope', 'float32', [2]), InvalidArgumentError);
  assert.throws(() => g.input('x', 'float32', [2]), InvalidArgumentError);
});

test('empty inputs stand for omitted optional inputs', () => {
  const g = new GraphBuilder('g');
  const x = g.input('x', 'float32', [2]);
  const [y] = g.node('Clip', [x, '', g.constant([1], 'float32', [])]);
  assert.deepEqual(g.nodes[0].inputs, ['x', '', 'const']);
  g.output(y, 'float32', [2]);
});

test('auto names are unique, node names are made unique, explicit outputs are kept', () => {
  const g = new GraphBuilder('g');
  const x = g.input('x', 'float32', [2]);
  const a = g.op('Relu', [x]);
  const b = g.op('Relu', [a]);
  assert.notEqual(a, b);
  assert.deepEqual(
    g.nodes.map((n) => n.name),
    ['Relu', 'Relu_1'],
  );
  const reserved = g.uniqueName('Relu');
  assert.ok(![a, b].includes(reserved));
  const [c, d] = g.node('Split', [b], { outputs: ['left', 'right'] });
  assert.deepEqual([c, d], ['left', 'right']);
  const [e0, e1] = g.node('Split', [b], { outputs: 2 });
  assert.notEqual(e0, e1);
  assert.throws(() => g.node('Relu', [x], { outputs: ['left'] }), InvalidArgumentError);
});

test('constants are deduplicated by type, shape and values', () => {
  const g = new GraphBuilder('g');
  const a = g.constant([0, 1], 'int64');
  assert.equal(g.constant([0, 1], 'int64'), a);
  assert.notEqual(g.constant([0, 1], 'int32'), a);
  assert.notEqual(g.constant([0, 1], 'int64', [1, 2]), a);
  const scalar = g.constant([3], 'int64', []);
  assert.deepEqual(g.initializers.find((i) => i.name === scalar)?.dims, []);
  assert.throws(() => g.constant([0.5], 'int64'), InvalidArgumentError);
});

test('initializer data must match its declared type and shape', () => {
  const g = new GraphBuilder('g');
  assert.throws(
    () => g.initializer('w', { type: 'float32', dims: [2, 2], data: new Float32Array(3) }),
    InvalidArgumentError,
  );
  assert.throws(
    () => g.initializer('w', { type: 'int64', dims: [1], data: new Int32Array(1) }),
    InvalidArgumentError,
  );
  g.initializer('h', { type: 'float16', dims: [2], data: new Uint16Array(2) });
  g.initializer('f', { type: 'float16', dims: [2], data: new Float32Array(2) });
});

test('a graph using an unregistered domain needs an explicit opset', () => {
  const g = new GraphBuilder('g');
  const x = g.input('x', 'float32', [2]);
  g.output(g.op('Custom', [x], {}, 'org.example'), 'float32', [2]);
  assert.throws(() => serializeModel(g), InvalidArgumentError);
  assert.ok(serializeModel(g, { opsets: { 'org.example': 1 } }).length > 0);
});
