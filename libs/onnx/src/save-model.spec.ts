import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { GraphBuilder } from './graph-builder';
import { saveModel, serializeModel } from './save-model';
import { f32ToF16 } from '@internvl/float-formats';

const dir = mkdtempSync(join(tmpdir(), 'onnx-save-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function build(options?: ConstructorParameters<typeof GraphBuilder>[1]) {
  const g = new GraphBuilder('g', options);
  const big = Float32Array.from({ length: 1000 }, (_, i) => i / 7);
  const x = g.input('x', 'float32', [1000]);
  const w = g.initializer('big', { type: 'float32', dims: [1000], data: big });
  const h = g.initializer('half', { type: 'float16', dims: [1000], data: big });
  const s = g.initializer('small', { type: 'float32', dims: [4], data: Float32Array.of(1, 2, 3, 4) });
  g.output(g.op('Add', [x, w]), 'float32', [1000]);
  g.output(g.op('Cast', [h]), 'float16', [1000]);
  g.output(g.op('Identity', [s]), 'float32', [4]);
  return { g, big };
}

test('large initializers go to <model>.onnx.data at 4096-aligned offsets, small ones stay inline', () => {
  const { g, big } = build();
  const path = join(dir, 'model.onnx');
  const saved = saveModel(g, path);
  const data = readFileSync(`${path}.data`);
  assert.equal(saved.dataBytes, data.length);
  assert.equal(saved.onnxBytes, statSync(path).size);
  assert.equal(data.length, 4096 + 2000);
  assert.deepEqual(new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + 4000)), big);
  assert.deepEqual(
    new Uint16Array(data.buffer.slice(data.byteOffset + 4096, data.byteOffset + 4096 + 2000)),
    f32ToF16(big),
  );
  const onnx = readFileSync(path, 'latin1');
  assert.ok(onnx.includes('model.onnx.data'));
  assert.ok(saved.onnxBytes < 1000, 'weights are not inline');
});

test('externalData: false writes one self-contained file', () => {
  const { g } = build();
  const path = join(dir, 'inline.onnx');
  const saved = saveModel(g, path, { externalData: false });
  assert.equal(saved.dataBytes, 0);
  assert.ok(!existsSync(`${path}.data`));
  assert.ok(saved.onnxBytes > 6000);
});

test('a streaming builder writes weights as they are added and saves the same model', () => {
  const tmpData = join(dir, 'streamed.tmp');
  const { g } = build({ dataFile: tmpData });
  assert.equal(statSync(tmpData).size, 4096 + 2000, 'written before save');
  // Same file name in two folders, so the .onnx bytes (which embed the data file name) are comparable.
  mkdirSync(join(dir, 'streamed'));
  mkdirSync(join(dir, 'in-memory'));
  const path = join(dir, 'streamed', 'model.onnx');
  saveModel(g, path);
  assert.ok(!existsSync(tmpData));
  const reference = build().g;
  const refPath = join(dir, 'in-memory', 'model.onnx');
  saveModel(reference, refPath);
  assert.deepEqual(readFileSync(`${path}.data`), readFileSync(`${refPath}.data`));
  assert.deepEqual(readFileSync(path), readFileSync(refPath));
  // Inlining reads the streamed tensors back.
  assert.deepEqual(serializeModel(g), serializeModel(reference));
});
