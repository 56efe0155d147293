import { attentionBlock, mlpBlock, type DecoderLayerInput } from './decoder-blocks';
import { columns, linear } from './linear';
import { silu } from './silu';

/**
 * One Phi3DecoderLayer (eager attention, no cache), in place on h [T, hidden]:
 * h += o_proj(attn(RoPE(q), RoPE(k), v)) with qkv_proj rows [q | k | v];
 * h += down_proj(up · silu(gate)) with gate_up_proj rows [gate | up].
 */
export function phi3DecoderLayer(input: DecoderLayerInput, layer: number): void {
  const { llm, weights, T } = input;
  const D = llm.hiddenSize;
  const I = llm.intermediateSize;
  const qW = llm.numHeads * llm.headDim;
  const kvW = llm.numKvHeads * llm.headDim;
  const qkvW = qW + 2 * kvW;
  const P = `language_model.model.layers.${layer}`;

  const attn = { norm: `${P}.input_layernorm.weight`, out: `${P}.self_attn.o_proj.weight` };
  attentionBlock(input, attn, (x) => {
    const qkv = linear(x, T, D, weights.read(`${P}.self_attn.qkv_proj.weight`, [qkvW, D]), qkvW);
    return {
      q: columns(qkv, T, qkvW, 0, qW),
      k: columns(qkv, T, qkvW, qW, kvW),
      v: columns(qkv, T, qkvW, qW + kvW, kvW),
    };
  });

  const mlp = { norm: `${P}.post_attention_layernorm.weight`, down: `${P}.mlp.down_proj.weight` };
  mlpBlock(input, mlp, (x) => {
    const gateUp = linear(x, T, D, weights.read(`${P}.mlp.gate_up_proj.weight`, [2 * I, D]), 2 * I);
    const act = new Float32Array(T * I);
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < I; i++) {
        // torch: up_states * act_fn(gate), each a float32 tensor.
        act[t * I + i] = gateUp[t * 2 * I + I + i] * Math.fround(silu(gateUp[t * 2 * I + i]));
      }
    }
    return act;
  });
}
