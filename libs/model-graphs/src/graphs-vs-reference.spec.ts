import { strict as assert } from 'node:assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { InternVLConfig, LlmArchitecture } from '@internvl/model-config';
import { saveModel } from '@internvl/onnx';
import {
  createSession,
  float16Tensor,
  float32Tensor,
  int64Tensor,
  toFloat32,
  type OrtSession,
  type OrtTensor,
} from '@internvl/ort';
import { f32ToF16 } from '@internvl/float-formats';
import { dequantizeMatMulNBits, quantizeMatMulNBits } from '@internvl/onnx';
import {
  argmax,
  decoderForward,
  randomWeightSource,
  tinyInternVLConfig,
  visionForward,
  type WeightSource as RefWeights,
} from '@internvl/reference-model';
import { buildDecoderGraph, DECODER_IO } from './decoder-graph';
import { transposeWeight } from './linear';
import { buildVisionGraph, VISION_IO } from './vision-graph';
import type { Precision, WeightSource } from './weight-source';

const dir = mkdtempSync(join(tmpdir(), 'model-graphs-'));

/** max|a−b| / max|b|: the error relative to the output's scale. */
function relativeError(actual: Float32Array, expected: Float32Array): number {
  assert.equal(actual.length, expected.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return diff / scale;
}

function asGraphWeights(ref: RefWeights & { has(name: string): boolean }): WeightSource {
  return { read: (name, shape) => ref.read(name, shape), has: (name) => ref.has(name) };
}

const QUANTIZED_LINEAR =
  /(qkv_proj|o_proj|gate_up_proj|down_proj|wqkv|wo|w1|w2|w3)\.weight$|^language_model\.(lm_head|output)\.weight$/;

/** The reference's weights as the int4 graph sees them: each LLM Linear quantized (block 32) and dequantized. */
function int4RoundTrip(ref: RefWeights): RefWeights {
  return {
    read(name, shape) {
      const w = ref.read(name, shape);
      if (!QUANTIZED_LINEAR.test(name)) return w;
      const [out, inp] = shape as [number, number];
      const kn = dequantizeMatMulNBits(
        quantizeMatMulNBits(transposeWeight(w, out, inp), inp, out, 32),
        inp,
        out,
        32,
      );
      return transposeWeight(kn, inp, out);
    },
  };
}

function seeded(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

async function session(graphPath: string): Promise<OrtSession> {
  return (await createSession(graphPath, { provider: 'cpu', intraOpNumThreads: 2 })).session;
}

class DecoderRunner {
  constructor(
    private readonly s: OrtSession,
    private readonly config: InternVLConfig,
    private readonly precision: Precision,
  ) {}

  /** Runs one forward over `embeds` [t, D] after `past` (undefined = empty cache). */
  async step(
    embeds: Float32Array,
    t: number,
    past: OrtTensor[][] | undefined,
    total: number,
    logitsToKeep?: number,
  ): Promise<{ logits: Float32Array; present: OrtTensor[][] }> {
    const l = this.config.llm;
    const fp16 = this.precision === 'fp16';
    const feeds: Record<string, OrtTensor> = {
      [DECODER_IO.inputsEmbeds]: fp16
        ? float16Tensor(f32ToF16(embeds), [1, t, l.hiddenSize])
        : float32Tensor(embeds, [1, t, l.hiddenSize]),
      [DECODER_IO.attentionMask]: int64Tensor(new Array<number>(total).fill(1), [1, total]),
    };
    for (let i = 0; i < l.numLayers; i++) {
      const empty = fp16
        ? float16Tensor(new Uint16Array(0), [1, l.numKvHeads, 0, l.headDim])
        : float32Tensor(new Float32Array(0), [1, l.numKvHeads, 0, l.headDim]);
      feeds[DECODER_IO.pastKey(i)] = past ? past[i]![0]! : empty;
      feeds[DECODER_IO.pastValue(i)] = past ? past[i]![1]! : empty;
    }
    feeds[DECODER_IO.logitsToKeep] = int64Tensor([logitsToKeep ?? 0], []);
    const out = await this.s.run(feeds);
    const present = Array.from({ length: l.numLayers }, (_, i) => [
      out[DECODER_IO.presentKey(i)]!,
      out[DECODER_IO.presentValue(i)]!,
    ]);
    return { logits: toFloat32(out[DECODER_IO.logits]!), present };
  }
}

for (const architecture of ['Phi3ForCausalLM', 'InternLM2ForCausalLM'] as LlmArchitecture[]) {
  describe(`decoder.onnx (${architecture}) against the reference forward`, () => {
    const config = tinyInternVLConfig(architecture);
    const ref = randomWeightSource(config, 7);
    const weights = asGraphWeights(ref);
    const T = 12;
    const D = config.llm.hiddenSize;
    const V = config.llm.vocabSize;
    const rand = seeded(3);
    const embeds = Float32Array.from({ length: T * D }, () => rand());
    const expected = decoderForward(config, ref, embeds, T);
    const runners = new Map<Precision, DecoderRunner>();
    const runner = async (precision: Precision) => {
      if (!runners.has(precision)) {
        const path = join(dir, `${architecture}-${precision}.onnx`);
        saveModel(buildDecoderGraph(config, weights, precision, 512), path);
        runners.set(precision, new DecoderRunner(await session(path), config, precision));
      }
      return runners.get(precision)!;
    };

    test('fp32 prefill logits equal the reference within 1e-4 relative', async () => {
      const { logits } = await (await runner('fp32')).step(embeds, T, undefined, T);
      assert.ok(relativeError(logits, expected) < 1e-4, `relative error ${relativeError(logits, expected)}`);
    });

    test('prefill + cached single-token decode steps give the full-recompute logits', async () => {
      const r = await runner('fp32');
      const prefill = 8;
      let { present } = await r.step(embeds.subarray(0, prefill * D), prefill, undefined, prefill);
      for (let t = prefill; t < T; t++) {
        const out = await r.step(embeds.subarray(t * D, (t + 1) * D), 1, present, t + 1);
        present = out.present;
        const err = relativeError(out.logits, expected.subarray(t * V, (t + 1) * V));
        assert.ok(err < 1e-4, `step ${t}: relative error ${err}`);
      }
    });

    test('logits_to_keep k returns the last k positions only; 0 (the default) returns all', async () => {
      const r = await runner('fp32');
      for (const k of [1, 3]) {
        const { logits } = await r.step(embeds, T, undefined, T, k);
        assert.equal(logits.length, k * V);
        assert.ok(relativeError(logits, expected.subarray((T - k) * V)) < 1e-4, `k ${k}`);
      }
      assert.equal((await r.step(embeds, T, undefined, T, 0)).logits.length, T * V);
      assert.equal(
        (await r.step(embeds, T, undefined, T, T + 5)).logits.length,
        T * V,
        'k above the length keeps all',
      );
    });

    test('greedy tokens from fp32 equal the reference argmax at every position', async () => {
      const { logits } = await (await runner('fp32')).step(embeds, T, undefined, T);
      for (let t = 0; t < T; t++)
        assert.equal(argmax(logits, t * V, V), argmax(expected, t * V, V), `position ${t}`);
    });

    test('fp16 logits are within 2e-2 relative of the reference (11-bit mantissas for weights and activations)', async () => {
      const { logits } = await (await runner('fp16')).step(embeds, T, undefined, T);
      const err = relativeError(logits, expected);
      assert.ok(err < 2e-2, `relative error ${err}`);
    });

    test('int4 logits match the reference run on the same 4-bit weights within 3e-2 relative (int8 activations)', async () => {
      // accuracy_level 4 quantizes activations to int8 per block, the remaining difference.
      const { logits } = await (await runner('int4')).step(embeds, T, undefined, T);
      const err = relativeError(logits, decoderForward(config, int4RoundTrip(ref), embeds, T));
      assert.ok(err < 3e-2, `relative error ${err}`);
    });
  });
}

describe('vision.onnx against the reference forward', () => {
  for (const psVersion of ['v2', 'v1'] as const) {
    test(`fp32 image embeddings (ps ${psVersion}, 2 tiles) equal the reference within 1e-4 relative`, async () => {
      const config = tinyInternVLConfig('Phi3ForCausalLM', { psVersion });
      const ref = randomWeightSource(config, 11);
      const path = join(dir, `vision-${psVersion}.onnx`);
      saveModel(buildVisionGraph(config, asGraphWeights(ref), 'fp32'), path);
      const s = await session(path);
      const rand = seeded(5);
      const n = 2;
      const pixels = Float32Array.from({ length: n * 3 * 448 * 448 }, () => 2 * rand());
      const out = await s.run({ [VISION_IO.pixelValues]: float32Tensor(pixels, [n, 3, 448, 448]) });
      const actual = toFloat32(out[VISION_IO.imageEmbeds]!);
      const expected = visionForward(config, ref, pixels, n);
      const err = relativeError(actual, expected);
      assert.ok(err < 1e-4, `relative error ${err}`);
    });
  }
});
