import { strict as assert } from 'node:assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { VISION_IO, type InternVLConfig, type LlmArchitecture } from '@internvl/model-config';
import { saveModel } from '@internvl/onnx';
import { createSession, float32Tensor, SequenceDecoder, toFloat32, type OrtSession } from '@internvl/ort';
import { f32ToF16 } from '@internvl/float-formats';
import { dequantizeMatMulNBits, quantizeMatMulNBits } from '@internvl/onnx';
import {
  argmax,
  cachedGenerationRotary,
  decoderForward,
  decoderHiddenStates,
  lmHeadLogits,
  randomWeightSource,
  relativeError,
  tinyInternVLConfig,
  visionForward,
  type WeightSource as RefWeights,
} from '@internvl/reference-model';
import { buildDecoderGraph } from './decoder-graph';
import { transposeWeight } from './linear';
import { buildVisionGraph } from './vision-graph';
import type { Precision, WeightSource } from './weight-source';

const dir = mkdtempSync(join(tmpdir(), 'model-graphs-'));

function asGraphWeights(ref: RefWeights & { has(name: string): boolean }): WeightSource {
  return { read: (name, shape) => ref.read(name, shape), has: (name) => ref.has(name) };
}

const QUANTIZED_LINEAR =
  /(qkv_proj|o_proj|gate_up_proj|down_proj|wqkv|wo|w1|w2|w3)\.weight$|^language_model\.(lm_head|output)\.weight$/;

/** The reference's weights as the int4 graph sees them: each LLM Linear quantized (in `block`s) and dequantized. */
function int4RoundTrip(ref: RefWeights, block: number): RefWeights {
  return {
    read(name, shape) {
      const w = ref.read(name, shape);
      if (!QUANTIZED_LINEAR.test(name)) return w;
      const [out, inp] = shape as [number, number];
      const kn = dequantizeMatMulNBits(
        quantizeMatMulNBits(transposeWeight(w, out, inp), inp, out, block),
        inp,
        out,
        block,
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

const asDtype = (precision: Precision, x: Float32Array) => (precision === 'fp16' ? f32ToF16(x) : x);

for (const architecture of ['Phi3ForCausalLM', 'InternLM2ForCausalLM'] as LlmArchitecture[]) {
  describe(`decoder.onnx (${architecture}) against the reference forward`, () => {
    const T = 12;
    const rand = seeded(3);
    const setup = (config: InternVLConfig) => {
      const ref = randomWeightSource(config, 7);
      const D = config.llm.hiddenSize;
      const embeds = Float32Array.from({ length: T * D }, () => rand());
      const sessions = new Map<string, OrtSession>();
      const decoder = async (precision: Precision, int4Block = 128) => {
        const key = `${precision}-${int4Block}`;
        if (!sessions.has(key)) {
          const path = join(
            dir,
            `${architecture}-${config.llm.maxPositionEmbeddings}-${config.llm.originalMaxPositionEmbeddings}-${key}.onnx`,
          );
          saveModel(buildDecoderGraph(config, asGraphWeights(ref), precision, { int4Block }), path);
          sessions.set(key, await session(path));
        }
        return new SequenceDecoder(
          sessions.get(key)!,
          config.llm,
          precision === 'fp16' ? 'float16' : 'float32',
        );
      };
      return {
        config,
        ref,
        D,
        V: config.llm.vocabSize,
        embeds,
        expected: decoderForward(config, ref, embeds, T),
        decoder,
      };
    };
    const { config, ref, V, embeds, expected, decoder } = setup(tinyInternVLConfig(architecture));
    // A small switch point so prompts cross it in a few tokens: Phi-3 LongRoPE changes factors past
    // original_max_position_embeddings, InternLM2 dynamic NTK rescales its base past max_position_embeddings.
    const switchAt = 8;
    const switching = setup(
      tinyInternVLConfig(
        architecture,
        architecture === 'Phi3ForCausalLM'
          ? { llm: { originalMaxPositionEmbeddings: switchAt } }
          : { llm: { maxPositionEmbeddings: switchAt } },
      ),
    );
    const prefillAll = async (precision: Precision) =>
      (await decoder(precision)).run(asDtype(precision, embeds), T, T, T);

    test('fp32 prefill logits equal the reference within 1e-4 relative', async () => {
      const logits = await prefillAll('fp32');
      assert.ok(relativeError(logits, expected) < 1e-4, `relative error ${relativeError(logits, expected)}`);
    });

    test(`a prompt past the rotary switch (${T} > ${switchAt}) prefilled in 5-token chunks equals the one-shot reference`, async () => {
      const { decoder, embeds, expected, D, V } = switching;
      const r = await decoder('fp32');
      const logits: Float32Array[] = [];
      for (let t = 0; t < T; t += 5) {
        const n = Math.min(5, T - t);
        logits.push(await r.run(embeds.subarray(t * D, (t + n) * D), n, T, n));
      }
      const all = new Float32Array(T * V);
      let at = 0;
      for (const l of logits) {
        all.set(l, at);
        at += l.length;
      }
      assert.ok(relativeError(all, expected) < 1e-4, `relative error ${relativeError(all, expected)}`);
    });

    test('prefill + cached decode steps across the switch equal HF cached generation (each position keeps its rotation)', async () => {
      const { decoder, embeds, expected, D, V, config, ref } = switching;
      const r = await decoder('fp32');
      const prefill = 6;
      await r.run(embeds.subarray(0, prefill * D), prefill, prefill);
      const cached = decoderHiddenStates(
        config,
        ref,
        embeds,
        T,
        undefined,
        cachedGenerationRotary(config, prefill, T),
      );
      const reference = lmHeadLogits(config, ref, cached, T);
      for (let t = prefill; t < T; t++) {
        const logits = await r.run(embeds.subarray(t * D, (t + 1) * D), 1, t + 1);
        const err = relativeError(logits, reference.subarray(t * V, (t + 1) * V));
        assert.ok(err < 1e-4, `step ${t}: relative error ${err}`);
      }
      // Past the switch the cached rotation really differs from a full recompute's.
      assert.ok(relativeError(reference.subarray((T - 1) * V), expected.subarray((T - 1) * V)) > 1e-3);
    });

    test('logits_indices picks positions: the last k, or all', async () => {
      for (const k of [1, 3, T]) {
        const logits = await (await decoder('fp32')).run(embeds, T, T, k);
        assert.equal(logits.length, k * V);
        assert.ok(relativeError(logits, expected.subarray((T - k) * V)) < 1e-4, `k ${k}`);
      }
    });

    test('greedy tokens from fp32 equal the reference argmax at every position', async () => {
      const logits = await prefillAll('fp32');
      for (let t = 0; t < T; t++)
        assert.equal(argmax(logits, t * V, V), argmax(expected, t * V, V), `position ${t}`);
    });

    test('fp16 logits are within 2e-2 relative of the reference (11-bit mantissas for weights and activations)', async () => {
      const err = relativeError(await prefillAll('fp16'), expected);
      assert.ok(err < 2e-2, `relative error ${err}`);
    });

    for (const block of [32, 128]) {
      test(`int4 (blocks of ${block}) logits match the reference run on the same 4-bit weights within 3e-2 relative (int8 activations)`, async () => {
        // accuracy_level 4 quantizes activations to int8 per block, the remaining difference.
        const logits = await (await decoder('int4', block)).run(embeds, T, T, T);
        const err = relativeError(logits, decoderForward(config, int4RoundTrip(ref, block), embeds, T));
        assert.ok(err < 3e-2, `relative error ${err}`);
      });
    }
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
