import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { attr } from './attr';
import { GraphBuilder } from './graph-builder';
import { serializeModel } from './save-model';

type Field = { no: number; value: bigint | number | Uint8Array };

/** Decodes one message level into (field number, raw value) pairs. */
function fields(bytes: Uint8Array): Field[] {
  const r = new BinaryReader(bytes);
  const out: Field[] = [];
  while (r.pos < r.len) {
    const [no, wt] = r.tag();
    if (wt === WireType.Varint) out.push({ no, value: BigInt(r.int64()) });
    else if (wt === WireType.Bit32) out.push({ no, value: r.float() });
    else if (wt === WireType.LengthDelimited) out.push({ no, value: r.bytes() });
    else throw new Error(`unexpected wire type ${wt}`);
  }
  return out;
}
const text = (v: Field['value']): string => new TextDecoder().decode(v as Uint8Array);
const sub = (fs: Field[], no: number): Field[][] =>
  fs.filter((f) => f.no === no).map((f) => fields(f.value as Uint8Array));
const one = (fs: Field[], no: number): Field['value'] => {
  const hit = fs.filter((f) => f.no === no);
  assert.equal(hit.length, 1, `field ${no}`);
  return hit[0].value;
};

function sampleModel(): Uint8Array {
  const g = new GraphBuilder('g');
  const x = g.input('x', 'float32', ['batch', 3]);
  const w = g.initializer('w', { type: 'float16', dims: [3], data: Float32Array.of(1, 2, 3) });
  const y = g.node('Mul', [x, w], {
    name: 'scale',
    attrs: { alpha: attr.float(0.5), axes: attr.ints([-1, 2]), mode: attr.string('x') },
  })[0];
  g.output(y, 'float32', ['batch', 3]);
  return serializeModel(g, { metadata: { family: 'test' } });
}

test('ModelProto fields: ir_version 1, producer 2, graph 7, opset_import 8, metadata 14', () => {
  const model = fields(sampleModel());
  assert.equal(one(model, 1), 8n);
  assert.equal(text(one(model, 2)), 'internvl-serving');
  const [opset] = sub(model, 8);
  assert.equal(text(one(opset, 1)), '');
  assert.equal(one(opset, 2), 17n);
  const [meta] = sub(model, 14);
  assert.deepEqual([text(one(meta, 1)), text(one(meta, 2))], ['family', 'test']);
  assert.equal(sub(model, 7).length, 1);
});

test('GraphProto: node 1, name 2, initializer 5, input 11, output 12', () => {
  const graph = sub(fields(sampleModel()), 7)[0];
  assert.equal(text(one(graph, 2)), 'g');
  const [node] = sub(graph, 1);
  assert.deepEqual(
    node.filter((f) => f.no === 1).map((f) => text(f.value)),
    ['x', 'w'],
  );
  assert.equal(text(one(node, 3)), 'scale');
  assert.equal(text(one(node, 4)), 'Mul');
  const attrs = sub(node, 5);
  assert.equal(attrs.length, 3);
  const [alpha, axes, mode] = attrs;
  assert.deepEqual([text(one(alpha, 1)), one(alpha, 20), one(alpha, 2)], ['alpha', 1n, 0.5]);
  assert.deepEqual(
    axes.filter((f) => f.no === 8).map((f) => f.value),
    [-1n, 2n],
  );
  assert.equal(one(axes, 20), 7n);
  assert.deepEqual([text(one(mode, 4)), one(mode, 20)], ['x', 3n]);

  const [init] = sub(graph, 5);
  assert.deepEqual(
    init.filter((f) => f.no === 1).map((f) => f.value),
    [3n],
  );
  assert.equal(one(init, 2), 10n); // FLOAT16
  assert.equal(text(one(init, 8)), 'w');
  assert.deepEqual(
    Array.from(new Uint16Array((one(init, 9) as Uint8Array).slice().buffer)),
    [0x3c00, 0x4000, 0x4200],
  );

  const [input] = sub(graph, 11);
  assert.equal(text(one(input, 1)), 'x');
  const tensorType = sub(sub(input, 2)[0], 1)[0];
  assert.equal(one(tensorType, 1), 1n); // FLOAT
  const dims = sub(sub(tensorType, 2)[0], 1);
  assert.equal(text(one(dims[0], 2)), 'batch'); // dim_param
  assert.equal(one(dims[1], 1), 3n); // dim_value
  assert.equal(text(one(sub(graph, 12)[0], 1)), 'scale'); // single outputs are named after their node
});

test('opset imports follow the domains in use; com.microsoft defaults to version 1', () => {
  const g = new GraphBuilder('ms');
  const x = g.input('x', 'float32', [4]);
  g.output(g.op('FastGelu', [x], {}, 'com.microsoft'), 'float32', [4]);
  const opsets = sub(fields(serializeModel(g, { opsets: { '': 21 } })), 8).map((o) => [
    text(one(o, 1)),
    one(o, 2),
  ]);
  assert.deepEqual(opsets, [
    ['', 21n],
    ['com.microsoft', 1n],
  ]);
  assert.equal(fields(serializeModel(g, { opsets: { '': 21 } }))[0].value, 10n); // IR 10 for opset 21
});
