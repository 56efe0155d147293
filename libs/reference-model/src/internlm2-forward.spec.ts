import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { InternVLConfig, LlmConfig } from '@internvl/model-config';
import { decoderForward } from './decoder-forward';
import { embedTokens } from './embeddings';
import { splitInternLM2Wqkv } from './internlm2-forward';
import { randomWeightSource } from './random-weights';
import { assertClose, maxAbsDiff, tokenIds } from './testing/spec-helpers';
import { tinyInternVLConfig } from './tiny-config';
import { MapWeightSource, type WeightSource } from './weight-source';

const VOCAB = 300;
const D = 64;
const HD = 16;
const I = 128;
const internlm2 = (llm: Partial<LlmConfig> = {}) =>
  tinyInternVLConfig('InternLM2ForCausalLM', {
    llm: { vocabSize: VOCAB, ropeScaling: { type: 'none' }, ...llm },
  });

function run(cfg: InternVLConfig, w: WeightSource, ids: number[]): Float32Array {
  return decoderForward(cfg, w, embedTokens(cfg, w, ids), ids.length);
}

/** Copies rows of a [*, D] matrix. */
function row(m: Float32Array, r: number): Float32Array {
  return m.subarray(r * D, (r + 1) * D);
}

test('wqkv split follows [KV, G+2, hd, hidden]: q head kv·G+j = slot j, k = slot G, v = slot G+1', () => {
  const H = 4;
  const KV = 2;
  const G = 2;
  const wqkv = Float32Array.from({ length: (H + 2 * KV) * HD * D }, (_, i) => i);
  const { wq, wk, wv } = splitInternLM2Wqkv(wqkv, H, KV, HD, D);
  for (let kv = 0; kv < KV; kv++) {
    for (let d = 0; d < HD; d++) {
      const src = (s: number) => row(wqkv, (kv * (G + 2) + s) * HD + d);
      for (let j = 0; j < G; j++) assert.deepEqual(row(wq, (kv * G + j) * HD + d), src(j));
      assert.deepEqual(row(wk, kv * HD + d), src(G));
      assert.deepEqual(row(wv, kv * HD + d), src(G + 1));
    }
  }
});

test('InternLM2 equals a Phi-3 model whose qkv_proj is the explicit [Q|K|V] rewrite of wqkv', () => {
  const H = 4;
  const KV = 2;
  const G = H / KV;
  const ilm = internlm2({ numKvHeads: KV });
  const phi = tinyInternVLConfig('Phi3ForCausalLM', {
    llm: { ...ilm.llm, architecture: 'Phi3ForCausalLM', slidingWindow: undefined },
  });
  const src = randomWeightSource(ilm, 21);
  const dst = new MapWeightSource();
  const copy = (from: string, to: string, shape: number[]) => dst.set(to, shape, src.read(from, shape));
  copy('language_model.model.tok_embeddings.weight', 'language_model.model.embed_tokens.weight', [VOCAB, D]);
  copy('language_model.model.norm.weight', 'language_model.model.norm.weight', [D]);
  copy('language_model.output.weight', 'language_model.lm_head.weight', [VOCAB, D]);
  for (let l = 0; l < ilm.llm.numLayers; l++) {
    const s = `language_model.model.layers.${l}`;
    const wqkv = src.read(`${s}.attention.wqkv.weight`, [(H + 2 * KV) * HD, D]);
    // Written from the spec independently of splitInternLM2Wqkv: row r of wqkv is
    // (kv, slot, d) = (r / ((G+2)·hd), (r / hd) mod (G+2), r mod hd).
    const qkv = new Float32Array(wqkv.length);
    for (let r = 0; r < (H + 2 * KV) * HD; r++) {
      const kv = Math.floor(r / ((G + 2) * HD));
      const slot = Math.floor(r / HD) % (G + 2);
      const d = r % HD;
      const target =
        slot < G
          ? (kv * G + slot) * HD + d
          : slot === G
            ? H * HD + kv * HD + d
            : H * HD + KV * HD + kv * HD + d;
      qkv.set(row(wqkv, r), target * D);
    }
    dst.set(`${s}.self_attn.qkv_proj.weight`, [(H + 2 * KV) * HD, D], qkv);
    copy(`${s}.attention.wo.weight`, `${s}.self_attn.o_proj.weight`, [D, H * HD]);
    const gateUp = new Float32Array(2 * I * D);
    gateUp.set(src.read(`${s}.feed_forward.w1.weight`, [I, D]), 0);
    gateUp.set(src.read(`${s}.feed_forward.w3.weight`, [I, D]), I * D);
    dst.set(`${s}.mlp.gate_up_proj.weight`, [2 * I, D], gateUp);
    copy(`${s}.feed_forward.w2.weight`, `${s}.mlp.down_proj.weight`, [D, I]);
    copy(`${s}.attention_norm.weight`, `${s}.input_layernorm.weight`, [D]);
    copy(`${s}.ffn_norm.weight`, `${s}.post_attention_layernorm.weight`, [D]);
  }
  const ids = tokenIds(10, 3, VOCAB);
  assertClose(run(ilm, src, ids), run(phi, dst, ids), 1e-5, 1e-5, 'logits');
});

test('GQA with each KV head duplicated into an MHA (KV = H) model gives the same logits', () => {
  const H = 4;
  const KV = 2;
  const G = H / KV;
  const gqa = internlm2({ numKvHeads: KV });
  const mha = internlm2({ numKvHeads: H });
  const src = randomWeightSource(gqa, 33);
  const dst = new MapWeightSource(new Map(src.tensors));
  for (let l = 0; l < gqa.llm.numLayers; l++) {
    const name = `language_model.model.layers.${l}.attention.wqkv.weight`;
    const { wq, wk, wv } = splitInternLM2Wqkv(src.read(name, [(H + 2 * KV) * HD, D]), H, KV, HD, D);
    // MHA layout: groups of [q_h, k_h, v_h], with k_h, v_h taken from KV head ⌊h/G⌋.
    const out = new Float32Array(3 * H * HD * D);
    const block = HD * D;
    for (let h = 0; h < H; h++) {
      const kv = Math.floor(h / G);
      out.set(wq.subarray(h * block, (h + 1) * block), h * 3 * block);
      out.set(wk.subarray(kv * block, (kv + 1) * block), (h * 3 + 1) * block);
      out.set(wv.subarray(kv * block, (kv + 1) * block), (h * 3 + 2) * block);
    }
    dst.set(name, [3 * H * HD, D], out);
  }
  const ids = tokenIds(10, 3, VOCAB, 4);
  assertClose(run(gqa, src, ids), run(mha, dst, ids), 1e-5, 1e-5, 'logits');
});

test('causal: changing a later token does not change earlier logits', () => {
  const cfg = internlm2();
  const w = randomWeightSource(cfg, 2);
  const ids = tokenIds(9, 3, VOCAB, 9);
  const changed = [...ids];
  changed[5] = (ids[5] + 7) % VOCAB;
  const a = run(cfg, w, ids);
  const b = run(cfg, w, changed);
  assert.deepEqual(a.subarray(0, 5 * VOCAB), b.subarray(0, 5 * VOCAB));
  assert.ok(maxAbsDiff(a.subarray(5 * VOCAB), b.subarray(5 * VOCAB)) > 1e-4);
});

test('dynamic NTK: inactive up to max_position_embeddings, then re-rotates every position', () => {
  const dyn = internlm2({ maxPositionEmbeddings: 8, ropeScaling: { type: 'dynamic', factor: 2 } });
  const none = internlm2({ maxPositionEmbeddings: 8 });
  const w = randomWeightSource(dyn, 3);
  const ids = tokenIds(10, 3, VOCAB, 2);
  assert.deepEqual(run(dyn, w, ids.slice(0, 8)), run(none, w, ids.slice(0, 8)));
  const scaled = run(dyn, w, ids);
  assert.ok(maxAbsDiff(scaled.subarray(0, 8 * VOCAB), run(none, w, ids).subarray(0, 8 * VOCAB)) > 1e-4);
});

test('real InternLM2 vocabulary (92553): finite logits of the right shape', () => {
  const cfg = tinyInternVLConfig('InternLM2ForCausalLM');
  const w = randomWeightSource(cfg, 1);
  const out = run(cfg, w, tokenIds(4, 3, 92553));
  assert.equal(out.length, 4 * 92553);
  assert.ok(out.every(Number.isFinite));
});
