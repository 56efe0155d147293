import { strict as assert } from 'node:assert';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { CheckpointReader, makeTinyCheckpoint, writeSafetensors } from '@internvl/checkpoint';
import type { InternVLConfig, ModelManifest } from '@internvl/model-config';
import { decoderForward, greedyGenerate, relativeError, visionForward } from '@internvl/reference-model';
import { CONVERT_STAGES, convertCheckpoint, type ConvertProgress } from './convert-checkpoint';
import { SequenceDecoder } from '@internvl/ort';
import { OrtModel } from './testing/ort-model';
import { seededValues } from './testing/numbers';

const work = mkdtempSync(join(tmpdir(), 'converter-'));
// ~240 MB of converted models per run: a developer's /tmp would fill up run after run.
after(() => rmSync(work, { recursive: true, force: true }));

/**
 * The progress contract: every stage in CONVERT_STAGES order, each counting 0, 1, … total with one
 * total; vision and decoder one step per layer plus the head and the write.
 */
function assertProgress(events: ConvertProgress[], config: InternVLConfig): void {
  const stages = events.map((e) => e.stage).filter((s, i, all) => i === 0 || all[i - 1] !== s);
  assert.deepEqual(stages, [...CONVERT_STAGES], 'each stage once, in order');
  for (const stage of CONVERT_STAGES) {
    const own = events.filter((e) => e.stage === stage);
    const total = own[0]!.total;
    assert.ok(total >= 1, stage);
    assert.deepEqual(
      own.map((e) => [e.done, e.total]),
      Array.from({ length: total + 1 }, (_, i) => [i, total]),
      stage,
    );
    for (const e of own) assert.ok(e.message.length > 0, `${stage} ${e.done}: a message`);
  }
  const layerMessages = (stage: string) =>
    events.filter((e) => e.stage === stage && /^layer /.test(e.message)).map((e) => e.message);
  const decoderLayers = config.llm.numLayers;
  assert.equal(events.find((e) => e.stage === 'decoder')!.total, decoderLayers + 1);
  assert.deepEqual(
    layerMessages('decoder'),
    Array.from({ length: decoderLayers }, (_, i) => `layer ${i + 1}/${decoderLayers}`),
  );
  const visionTotal = events.find((e) => e.stage === 'vision')!.total;
  assert.equal(layerMessages('vision').length, visionTotal - 1);
  assert.match(events.at(-1)!.message, /manifest\.json$/);
}

for (const llm of ['phi3', 'internlm2'] as const) {
  describe(`convert a tiny ${llm} checkpoint (fp32) and run it in ORT`, () => {
    const checkpoint = makeTinyCheckpoint(join(work, `${llm}-ckpt`), { llm, seed: 1 });
    const modelDir = join(work, `${llm}-fp32`);
    const events: ConvertProgress[] = [];
    const manifestPromise = convertCheckpoint({
      from: checkpoint.dir,
      to: modelDir,
      precision: 'fp32',
      onProgress: (p) => events.push({ ...p }),
    });
    const reader = CheckpointReader.open(checkpoint.dir);

    test('progress: every stage in order, each from 0 to its total, vision and decoder per layer', async () => {
      await manifestPromise;
      assertProgress(events, checkpoint.config);
    });

    test('the manifest carries the checkpoint facts and the real special-token ids', async () => {
      const m = await manifestPromise;
      const written = JSON.parse(readFileSync(join(modelDir, 'manifest.json'), 'utf8')) as ModelManifest;
      assert.deepEqual(written.tokens, m.tokens);
      assert.equal(m.config.llm.architecture, llm === 'phi3' ? 'Phi3ForCausalLM' : 'InternLM2ForCausalLM');
      assert.deepEqual(
        [m.tokens.imageStart, m.tokens.imageContext, m.tokens.imageEnd],
        llm === 'phi3' ? [32011, 32013, 32012] : [92544, 92546, 92545],
      );
      assert.deepEqual(m.template.name, llm === 'phi3' ? 'phi3-chat' : 'internlm2-chat');
      for (const stop of llm === 'phi3' ? [32000, 32007] : [2, 92542])
        assert.ok(m.tokens.stop.includes(stop), `stop id ${stop}`);
    });

    test('vision embeddings equal the reference forward within 1e-4 relative', async () => {
      await manifestPromise;
      const model = await OrtModel.load(modelDir);
      const pixels = seededValues(3 * 448 * 448, 9, 2);
      const actual = await model.imageEmbeds(pixels, 1);
      const expected = visionForward(checkpoint.config, reader, pixels, 1);
      assert.ok(relativeError(actual, expected) < 1e-4, `relative error ${relativeError(actual, expected)}`);
    });

    test('greedy tokens with an image (KV-cached in ORT) equal the reference, token for token', async () => {
      const m = await manifestPromise;
      const model = await OrtModel.load(modelDir);
      const pixels = seededValues(3 * 448 * 448, 4, 2);
      const imageEmbeds = await model.imageEmbeds(pixels, 1);
      const prompt = [
        m.tokens.bos,
        m.tokens.imageStart,
        ...new Array<number>(256).fill(m.tokens.imageContext),
        m.tokens.imageEnd,
        13,
        1724,
        338,
        445,
      ];
      const ours = await model.greedy(prompt, imageEmbeds, 12);
      const reference = greedyGenerate(
        checkpoint.config,
        reader,
        prompt,
        visionForward(checkpoint.config, reader, pixels, 1),
        m.tokens.imageContext,
        12,
        m.tokens.stop,
      );
      assert.deepEqual(ours, reference);
      assert.ok(ours.length > 0);
    });
  });
}

describe('fp16 and int4 conversions', () => {
  const checkpoint = makeTinyCheckpoint(join(work, 'phi3-ckpt-q'), { llm: 'phi3', seed: 2 });
  for (const precision of ['fp16', 'int4'] as const) {
    test(`${precision}: converts, records its dtypes, and the decoder runs`, async () => {
      const dir = join(work, `phi3-${precision}`);
      const events: ConvertProgress[] = [];
      const m = await convertCheckpoint({
        from: checkpoint.dir,
        to: dir,
        precision,
        maxContextTokens: 1024,
        onProgress: (p) => events.push({ ...p }),
      });
      assertProgress(events, checkpoint.config);
      assert.equal(m.precision, precision);
      assert.equal(m.decoderDtype, precision === 'fp16' ? 'float16' : 'float32');
      assert.equal(m.visionDtype, precision === 'fp16' ? 'float16' : 'float32');
      assert.equal(m.maxContextTokens, 1024);
      if (precision === 'int4') {
        const model = await OrtModel.load(dir);
        const tokens = await model.greedy([1, 15043, 3186], undefined, 4);
        assert.ok(tokens.length > 0 && tokens.every((t) => t >= 0 && t < m.config.llm.vocabSize));
        // The decoder graph holds 4-bit weights: it is several times smaller than the fp32 one.
        const sizes = (d: string) => readFileSync(join(d, 'decoder.onnx.data')).length;
        const fp32Dir = join(work, 'phi3-fp32-size');
        await convertCheckpoint({
          from: checkpoint.dir,
          to: fp32Dir,
          precision: 'fp32',
          maxContextTokens: 1024,
        });
        assert.ok(sizes(dir) * 3 < sizes(fp32Dir), `int4 ${sizes(dir)} bytes vs fp32 ${sizes(fp32Dir)}`);
      }
    });
  }
});

describe('clear errors for checkpoints that cannot convert', () => {
  const base = makeTinyCheckpoint(join(work, 'err-base'), { llm: 'phi3', seed: 3 });
  const copy = (name: string) => {
    const dir = join(work, name);
    cpSync(base.dir, dir, { recursive: true });
    return dir;
  };
  const rewriteWeights = (
    dir: string,
    edit: (
      name: string,
      shape: number[],
      data: Float32Array,
    ) => { shape: number[]; data: Float32Array } | undefined,
  ) => {
    const reader = CheckpointReader.open(base.dir);
    const tensors = reader.names().flatMap((name) => {
      const edited = edit(name, reader.shape(name), reader.read(name));
      return edited ? [{ name, dtype: 'F32' as const, ...edited }] : [];
    });
    writeSafetensors(join(dir, 'model.safetensors'), tensors);
  };

  test('an unknown LLM architecture is named, with the supported ones', async () => {
    const dir = copy('err-arch');
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as {
      llm_config: { architectures: string[] };
    };
    config.llm_config.architectures = ['LlamaForCausalLM'];
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    await assert.rejects(
      convertCheckpoint({ from: dir, to: join(work, 'out-arch'), precision: 'fp32' }),
      /LlamaForCausalLM.*Phi3ForCausalLM.*InternLM2ForCausalLM/s,
    );
  });

  test('a missing tensor is named', async () => {
    const dir = copy('err-missing');
    rewriteWeights(dir, (name, shape, data) =>
      name === 'language_model.model.layers.1.mlp.down_proj.weight' ? undefined : { shape, data },
    );
    await assert.rejects(
      convertCheckpoint({ from: dir, to: join(work, 'out-missing'), precision: 'fp32' }),
      /language_model\.model\.layers\.1\.mlp\.down_proj\.weight/,
    );
  });

  test('a wrong shape names the tensor, the expected and the found shape', async () => {
    const dir = copy('err-shape');
    rewriteWeights(dir, (name, shape, data) =>
      name === 'vision_model.encoder.layers.0.attn.qkv.weight'
        ? { shape: [shape[0]! / 2, shape[1]! * 2], data }
        : { shape, data },
    );
    await assert.rejects(
      convertCheckpoint({ from: dir, to: join(work, 'out-shape'), precision: 'fp32' }),
      (err: Error) => {
        assert.match(err.message, /vision_model\.encoder\.layers\.0\.attn\.qkv\.weight/);
        assert.match(err.message, /\[96, ?128\]/);
        assert.match(err.message, /\[192, ?64\]/);
        return true;
      },
    );
  });

  test('a directory without config.json says so', async () => {
    await assert.rejects(
      convertCheckpoint({ from: join(work, 'nope'), to: join(work, 'out-nope'), precision: 'fp32' }),
      /config\.json not found/,
    );
  });
});

describe('a checkpoint written independently of make-tiny (hand-built, sharded, fp16, tokenizer.model)', () => {
  test('converts, and its decoder logits equal the reference forward on the same files', async () => {
    const { writeIndependentCheckpoint } = await import('./testing/independent-checkpoint');
    const dir = writeIndependentCheckpoint(join(work, 'independent'));
    const out = join(work, 'independent-fp32');
    const m = await convertCheckpoint({ from: dir, to: out, precision: 'fp32', maxContextTokens: 512 });
    assert.deepEqual([m.tokens.imageStart, m.tokens.imageContext, m.tokens.imageEnd], [32011, 32013, 32012]);
    const model = await OrtModel.load(out);
    const ids = [1, 32010, 15043, 3186, 32007, 32001];
    const embeds = await model.embedIds(ids);
    const logits = await new SequenceDecoder(model.decoder, m.config.llm, 'float32').run(
      embeds,
      ids.length,
      ids.length,
      ids.length,
    );
    const expected = decoderForward(m.config, CheckpointReader.open(dir), embeds, ids.length);
    assert.ok(relativeError(logits, expected) < 1e-4, `relative error ${relativeError(logits, expected)}`);
  });
});
