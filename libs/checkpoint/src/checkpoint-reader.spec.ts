import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CheckpointFileError,
  MissingTensorError,
  SafetensorsFormatError,
  TensorShapeError,
} from './checkpoint-errors';
import { CheckpointReader } from './checkpoint-reader';
import { writeSafetensors } from './safetensors-writer';

const root = mkdtempSync(join(tmpdir(), 'checkpoint-reader-spec-'));
after(() => rmSync(root, { recursive: true, force: true }));

function folder(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

const ramp = (n: number) => Float32Array.from({ length: n }, (_, i) => i / 8);

describe('CheckpointReader', () => {
  it('opens a single model.safetensors and reads tensors lazily with shape checks', () => {
    const dir = folder('single');
    writeSafetensors(join(dir, 'model.safetensors'), [
      { name: 'mlp1.1.weight', dtype: 'BF16', shape: [2, 4], data: ramp(8) },
      { name: 'mlp1.1.bias', dtype: 'F16', shape: [2], data: ramp(2) },
    ]);
    const r = CheckpointReader.open(dir);
    assert.deepEqual(r.names().sort(), ['mlp1.1.bias', 'mlp1.1.weight']);
    assert.ok(r.has('mlp1.1.bias') && !r.has('mlp1.1'));
    assert.deepEqual(r.shape('mlp1.1.weight'), [2, 4]);
    assert.equal(r.dtype('mlp1.1.weight'), 'BF16');
    assert.deepEqual(r.read('mlp1.1.weight', [2, 4]), ramp(8));
    assert.deepEqual(r.read('mlp1.1.bias'), ramp(2));
    assert.equal(r.fileOf('mlp1.1.bias'), 'model.safetensors');
    assert.throws(
      () => r.read('mlp1.1.weight', [4, 2]),
      (e) =>
        e instanceof TensorShapeError &&
        e.message.startsWith('tensor mlp1.1.weight has shape [2,4], expected [4,2]'),
    );
    r.close();
    assert.throws(() => r.read('mlp1.1.bias'), /was closed/);
  });

  it('names the missing tensor, where it looked and near names', () => {
    const dir = folder('missing');
    writeSafetensors(join(dir, 'model.safetensors'), [
      {
        name: 'language_model.model.layers.0.self_attn.qkv_proj.weight',
        dtype: 'F32',
        shape: [1],
        data: ramp(1),
      },
      { name: 'language_model.model.layers.0.mlp.down_proj.weight', dtype: 'F32', shape: [1], data: ramp(1) },
    ]);
    const r = CheckpointReader.open(dir);
    assert.throws(
      () => r.read('language_model.model.layers.0.self_attn.q_proj.weight'),
      (e) =>
        e instanceof MissingTensorError &&
        e.tensor === 'language_model.model.layers.0.self_attn.q_proj.weight' &&
        e.suggestions[0] === 'language_model.model.layers.0.self_attn.qkv_proj.weight' &&
        e.message.includes(join(dir, 'model.safetensors')),
    );
    assert.throws(
      () => r.shape('nothing.like.it'),
      (e) => e instanceof MissingTensorError && e.suggestions.length === 0,
    );
  });

  it('opens a sharded checkpoint through model.safetensors.index.json', () => {
    const dir = folder('sharded');
    writeSafetensors(join(dir, 'model-00001-of-00002.safetensors'), [
      { name: 'a', dtype: 'F32', shape: [3], data: ramp(3) },
    ]);
    writeSafetensors(join(dir, 'model-00002-of-00002.safetensors'), [
      { name: 'b', dtype: 'BF16', shape: [2, 2], data: ramp(4) },
    ]);
    writeFileSync(
      join(dir, 'model.safetensors.index.json'),
      JSON.stringify({
        metadata: { total_size: 20 },
        weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' },
      }),
    );
    const r = CheckpointReader.open(dir);
    assert.deepEqual(r.shardFiles(), [
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
    ]);
    assert.deepEqual(r.read('b', [2, 2]), ramp(4));
    assert.equal(r.fileOf('a'), 'model-00001-of-00002.safetensors');
    assert.throws(
      () => r.read('c'),
      (e) => e instanceof MissingTensorError && /2 shards in/.test(e.message),
    );
  });

  it('says which files are missing', () => {
    const empty = folder('empty');
    assert.throws(
      () => CheckpointReader.open(empty),
      (e) =>
        e instanceof CheckpointFileError &&
        /no model\.safetensors or model\.safetensors\.index\.json in .*\(it is empty\)/.test(e.message),
    );
    const bin = folder('bin');
    writeFileSync(join(bin, 'pytorch_model.bin'), '');
    assert.throws(
      () => CheckpointReader.open(bin),
      /it has: pytorch_model\.bin\); PyTorch \.bin weights are not read/,
    );
    assert.throws(() => CheckpointReader.open(join(root, 'nope')), /does not exist/);
    const shardless = folder('shardless');
    writeFileSync(
      join(shardless, 'model.safetensors.index.json'),
      JSON.stringify({ weight_map: { a: 'model-00001-of-00001.safetensors' } }),
    );
    assert.throws(() => CheckpointReader.open(shardless), /missing: model-00001-of-00001\.safetensors/);
    const badIndex = folder('bad-index');
    writeFileSync(join(badIndex, 'model.safetensors.index.json'), '{"metadata": {}}');
    assert.throws(() => CheckpointReader.open(badIndex), /no "weight_map" object/);
  });

  it('rejects an index that disagrees with its shards, and corrupt shards', () => {
    const dir = folder('stale-index');
    writeSafetensors(join(dir, 'model-00001-of-00001.safetensors'), [
      { name: 'a', dtype: 'F32', shape: [1], data: ramp(1) },
    ]);
    writeFileSync(
      join(dir, 'model.safetensors.index.json'),
      JSON.stringify({ weight_map: { z: 'model-00001-of-00001.safetensors' } }),
    );
    assert.throws(
      () => CheckpointReader.open(dir),
      /puts tensor z in model-00001-of-00001\.safetensors, but that shard has no such tensor/,
    );
    const corrupt = folder('corrupt');
    writeFileSync(join(corrupt, 'model.safetensors'), Buffer.from('not a safetensors file at all'));
    assert.throws(() => CheckpointReader.open(corrupt), SafetensorsFormatError);
  });
});
