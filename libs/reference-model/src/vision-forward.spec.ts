import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { VisionConfig } from '@internvl/model-config';
import { createRng } from '@internvl/generation';
import { randomWeightSource, uniformArray } from './random-weights';
import { assertClose, maxAbsDiff } from './testing/spec-helpers';
import { tinyInternVLConfig, type TinyConfigOverrides } from './tiny-config';
import {
  projectVisionFeatures,
  visionEmbeddings,
  visionEncoderForward,
  visionForward,
} from './vision-forward';
import { MapWeightSource } from './weight-source';

/** A 112 px variant (8×8 patches, 65 tokens, 16 image tokens per tile) keeps multi-tile tests fast. */
const small = (overrides: TinyConfigOverrides = {}, vision: Partial<VisionConfig> = {}) =>
  tinyInternVLConfig('Phi3ForCausalLM', { ...overrides, vision: { imageSize: 112, ...vision } });

const pixels = (n: number, S: number, seed = 2) => uniformArray(createRng(seed), n * 3 * S * S, -2, 2);

test('448 px tile: 1025 ViT tokens → 256 image rows of the LLM width', () => {
  const cfg = tinyInternVLConfig('Phi3ForCausalLM');
  const w = randomWeightSource(cfg, 1);
  const out = visionForward(cfg, w, pixels(1, 448), 1);
  assert.equal(cfg.numImageTokens, 256);
  assert.equal(out.length, 256 * cfg.llm.hiddenSize);
  assert.ok(out.every(Number.isFinite));
});

test('patch embedding: token 1 + row·side + col holds the conv of patch (row, col), weights [C, ch, ky, kx]', () => {
  const cfg = small();
  const w = randomWeightSource(cfg, 3);
  const C = 64;
  const S = 112;
  const side = 8;
  const zero = visionEmbeddings(cfg, w, new Float32Array(3 * S * S), 1);
  const img = new Float32Array(3 * S * S);
  const [row, col, ch, ky, kx] = [1, 2, 1, 3, 5];
  img[ch * S * S + (row * 14 + ky) * S + col * 14 + kx] = 1;
  const emb = visionEmbeddings(cfg, w, img, 1);
  const conv = w.read('vision_model.embeddings.patch_embedding.weight', [C, 3, 14, 14]);
  const hit = 1 + row * side + col;
  for (let t = 0; t < side * side + 1; t++) {
    for (let c = 0; c < C; c++) {
      const delta = emb[t * C + c] - zero[t * C + c];
      const want = t === hit ? conv[((c * 3 + ch) * 14 + ky) * 14 + kx] : 0;
      assert.ok(Math.abs(delta - want) < 1e-6, `token ${t} channel ${c}: ${delta} vs ${want}`);
    }
  }
  // CLS row = class_embedding + position_embedding[0].
  const cls = w.read('vision_model.embeddings.class_embedding', [1, 1, C]);
  const pos = w.read('vision_model.embeddings.position_embedding', [1, 65, C]);
  for (let c = 0; c < C; c++) assert.equal(zero[c], Math.fround(cls[c] + pos[c]));
});

test('tiles are independent and flattened in order', () => {
  const cfg = small();
  const w = randomWeightSource(cfg, 4);
  const two = pixels(2, 112, 5);
  const both = visionForward(cfg, w, two, 2);
  const second = visionForward(cfg, w, two.subarray(3 * 112 * 112), 1);
  const rows = cfg.numImageTokens * cfg.llm.hiddenSize;
  assert.equal(both.length, 2 * rows);
  assert.deepEqual(both.subarray(rows), second);
});

test('select_layer indexes (embeddings, out_1, …, out_L) Python-style', () => {
  const px = pixels(1, 112, 6);
  const at = (selectLayer: number) => {
    const cfg = small({ selectLayer });
    return visionEncoderForward(cfg, randomWeightSource(cfg, 7), px, 1);
  };
  const last = at(-1);
  assert.deepEqual(at(2), last);
  assert.deepEqual(at(-3), at(0));
  const cfg = small();
  assert.deepEqual(at(0), visionEmbeddings(cfg, randomWeightSource(cfg, 7), px, 1));
  assert.ok(maxAbsDiff(at(-2), last) > 1e-3);
  assert.throws(() => at(-4), /select_layer -4/);
  assert.throws(() => at(3), /select_layer 3/);
});

test('ps_version only permutes image tokens: v1 token j·4+i = v2 token i·4+j (8×8 grid)', () => {
  const v1 = small({ psVersion: 'v1' });
  const v2 = small({ psVersion: 'v2' });
  const w = randomWeightSource(v2, 8);
  const hidden = visionEncoderForward(v2, w, pixels(1, 112, 9), 1);
  const a = projectVisionFeatures(v1, w, hidden, 1);
  const b = projectVisionFeatures(v2, w, hidden, 1);
  const D = 64;
  for (let i = 0; i < 4; i++)
    for (let j = 0; j < 4; j++) {
      assert.deepEqual(
        a.subarray((j * 4 + i) * D, (j * 4 + i + 1) * D),
        b.subarray((i * 4 + j) * D, (i * 4 + j + 1) * D),
      );
    }
  assert.ok(maxAbsDiff(a, b) > 1e-3);
});

test('6B-style tower (rms_norm, qk_normalization, no qkv bias): q is normalized over the full C', () => {
  const cfg = small({}, { normType: 'rms_norm', qkNormalization: true, qkvBias: false });
  const w = randomWeightSource(cfg, 10);
  assert.equal(w.has('vision_model.encoder.layers.0.attn.qkv.bias'), false);
  assert.equal(w.has('vision_model.encoder.layers.0.norm1.bias'), false);
  const px = pixels(1, 112, 11);
  const base = visionEncoderForward(cfg, w, px, 1);
  const C = 64;
  const scaled = (rows: number) => {
    const copy = new Map(w.tensors);
    for (let l = 0; l < 2; l++) {
      const name = `vision_model.encoder.layers.${l}.attn.qkv.weight`;
      const qkv = Float32Array.from(w.read(name, [3 * C, C]));
      for (let i = 0; i < rows * C; i++) qkv[i] *= 3;
      copy.set(name, { shape: [3 * C, C], data: qkv });
    }
    return visionEncoderForward(cfg, new MapWeightSource(copy), px, 1);
  };
  // Scaling all of q (every head) by 3 is undone by the RMSNorm …
  assertClose(scaled(64), base, 1e-4, 1e-4, 'all q rows ×3');
  // … scaling only head 0's 16 rows is not, because the norm spans all heads.
  assert.ok(maxAbsDiff(scaled(16), base) > 1e-3);
});

test('input checks: pixel count and unsupported image sizes', () => {
  const cfg = small();
  const w = randomWeightSource(cfg, 1);
  assert.throws(() => visionForward(cfg, w, new Float32Array(10), 1), /pixel_values has 10 values/);
  const resized = small({ imageSize: 224 });
  assert.throws(() => visionForward(resized, w, pixels(1, 224), 1), /image size 112 only/);
});
