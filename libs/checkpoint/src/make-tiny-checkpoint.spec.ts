import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '@internvl/errors';
import { loadTokenizer } from '@internvl/tokenizer';
import { CheckpointReader } from './checkpoint-reader';
import { makeTinyCheckpoint, tinyCheckpointConfigJson } from './make-tiny-checkpoint';
import { parseInternVLConfig } from './parse-config';
import { validateCheckpoint } from './validate-checkpoint';

const root = mkdtempSync(join(tmpdir(), 'make-tiny-spec-'));
after(() => rmSync(root, { recursive: true, force: true }));

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('makeTinyCheckpoint', () => {
  it('writes a Phi-3 checkpoint in the HF layout that parses, validates and tokenizes', () => {
    const lines: string[] = [];
    const dir = join(root, 'phi3');
    const made = makeTinyCheckpoint(dir, { llm: 'phi3', onProgress: (m) => lines.push(m) });
    for (const f of [
      'config.json',
      'model.safetensors',
      'tokenizer.json',
      'tokenizer_config.json',
      'special_tokens_map.json',
      'added_tokens.json',
    ]) {
      assert.ok(existsSync(join(dir, f)), f);
    }
    assert.ok(!existsSync(join(dir, 'model.safetensors.partial')));
    const config = parseInternVLConfig(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')));
    assert.deepEqual(config, made.config);
    assert.deepEqual(
      [config.template, config.psVersion, config.selectLayer, config.numImageTokens],
      ['phi3-chat', 'v2', -1, 256],
    );
    assert.deepEqual([config.vision.hiddenSize, config.vision.numHeads, config.vision.numLayers], [64, 4, 2]);
    assert.deepEqual(
      [
        config.llm.hiddenSize,
        config.llm.numHeads,
        config.llm.numKvHeads,
        config.llm.headDim,
        config.llm.vocabSize,
      ],
      [64, 4, 4, 16, 32020],
    );
    assert.equal(config.llm.ropeScaling.type, 'su');
    const reader = CheckpointReader.open(dir);
    assert.deepEqual(validateCheckpoint(reader, config).unexpected, []);
    assert.ok(
      reader.names().every((n) => reader.dtype(n) === 'BF16'),
      'stored as BF16 like real checkpoints',
    );
    assert.deepEqual(reader.metadata()['model.safetensors'], { format: 'pt' });
    const ls = reader.read('vision_model.encoder.layers.0.ls1', [64]);
    assert.ok(ls.every((x) => x >= 0.09 && x <= 1.01));
    const norm = reader.read('language_model.model.norm.weight', [64]);
    assert.ok(norm.every((x) => Math.abs(x - 1) < 0.1));
    const qkv = reader.read('language_model.model.layers.1.self_attn.qkv_proj.weight', [192, 64]);
    const std = Math.sqrt(qkv.reduce((a, x) => a + x * x, 0) / qkv.length);
    assert.ok(Math.abs(std - 1 / 8) < 0.01, `std ${std} ≈ 1/√64`);
    reader.close();
    const tok = loadTokenizer(readFileSync(join(dir, 'tokenizer.json'), 'utf8'));
    assert.equal(tok.vocabSize, config.llm.vocabSize);
    assert.equal(tok.idOf('<IMG_CONTEXT>'), 32013);
    assert.ok(
      lines.some((l) => l.startsWith('model.safetensors: 53 tensors')),
      lines.join('\n'),
    );
  });

  it('writes an InternLM2 checkpoint with GQA and InternLM2 tensor names', () => {
    const dir = join(root, 'internlm2');
    const made = makeTinyCheckpoint(dir, { llm: 'internlm2', layers: 1 });
    const l = made.config.llm;
    assert.deepEqual(
      [l.architecture, l.numHeads, l.numKvHeads, l.headDim, l.vocabSize],
      ['InternLM2ForCausalLM', 4, 2, 16, 92553],
    );
    assert.equal(made.config.template, 'internlm2-chat');
    assert.equal(made.config.vision.numLayers, 1);
    const reader = CheckpointReader.open(dir);
    validateCheckpoint(reader, made.config);
    assert.deepEqual(reader.shape('language_model.model.layers.0.attention.wqkv.weight'), [128, 64]);
    assert.ok(!reader.has('language_model.model.layers.1.attention.wqkv.weight'));
    reader.close();
    const tok = loadTokenizer(readFileSync(join(dir, 'tokenizer.json'), 'utf8'));
    assert.deepEqual(
      [tok.vocabSize, tok.idOf('<|im_end|>'), tok.idOf('<IMG_CONTEXT>')],
      [92553, 92542, 92546],
    );
  });

  it('is deterministic per seed, and a tensor does not depend on the layer count', () => {
    const a = makeTinyCheckpoint(join(root, 'seed7a'), { seed: 7 });
    const b = makeTinyCheckpoint(join(root, 'seed7b'), { seed: 7 });
    const c = makeTinyCheckpoint(join(root, 'seed8'), { seed: 8 });
    const d = makeTinyCheckpoint(join(root, 'seed7-3layers'), { seed: 7, layers: 3 });
    assert.equal(sha(join(a.dir, 'model.safetensors')), sha(join(b.dir, 'model.safetensors')));
    assert.notEqual(sha(join(a.dir, 'model.safetensors')), sha(join(c.dir, 'model.safetensors')));
    const name = 'language_model.model.embed_tokens.weight';
    const [ra, rd] = [CheckpointReader.open(a.dir), CheckpointReader.open(d.dir)];
    assert.deepEqual(ra.read(name), rd.read(name));
    ra.close();
    rd.close();
  });

  it('describes the real-width preset with the real models’ widths', () => {
    const phi3 = parseInternVLConfig(
      tinyCheckpointConfigJson({ llm: 'phi3', preset: 'real-width', layers: 3 }),
    );
    assert.deepEqual(
      [phi3.vision.hiddenSize, phi3.vision.numHeads, phi3.vision.intermediateSize, phi3.vision.numLayers],
      [1024, 16, 4096, 3],
    );
    assert.deepEqual(
      [
        phi3.llm.hiddenSize,
        phi3.llm.numHeads,
        phi3.llm.numKvHeads,
        phi3.llm.headDim,
        phi3.llm.intermediateSize,
        phi3.llm.numLayers,
      ],
      [3072, 32, 32, 96, 8192, 3],
    );
    const rs = phi3.llm.ropeScaling;
    assert.ok(
      rs.type === 'su' && rs.shortFactor.length === 48 && rs.longFactor.every((f) => f >= 1 && f <= 1.1),
    );
    const il2 = parseInternVLConfig(tinyCheckpointConfigJson({ llm: 'internlm2', preset: 'real-width' }));
    assert.deepEqual(
      [il2.llm.hiddenSize, il2.llm.numHeads, il2.llm.numKvHeads, il2.llm.headDim, il2.llm.numLayers],
      [2048, 16, 8, 128, 2],
    );
  });

  it('rejects bad options with the flag to fix', () => {
    const dir = join(root, 'bad');
    assert.throws(
      () => makeTinyCheckpoint(dir, { llm: 'llama' as 'phi3' }),
      (e) => e instanceof InvalidArgumentError && /--llm must be phi3 or internlm2/.test(e.message),
    );
    assert.throws(
      () => makeTinyCheckpoint(dir, { preset: 'huge' as 'tiny' }),
      /--preset must be tiny or real-width/,
    );
    assert.throws(() => makeTinyCheckpoint(dir, { seed: -1 }), /--seed must be an integer/);
    assert.throws(() => makeTinyCheckpoint(dir, { layers: 0 }), /--layers must be an integer from 1 to 64/);
    assert.ok(!existsSync(dir), 'nothing written for invalid options');
  });
});
