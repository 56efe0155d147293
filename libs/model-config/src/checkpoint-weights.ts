import { projectorInputSize, type InternVLConfig, type LlmArchitecture } from './model-config';

/** A tensor the model needs: HF safetensors name and PyTorch shape ([out, in] for Linear). */
export interface WeightSpec {
  name: string;
  shape: number[];
}

function visionWeights(config: InternVLConfig): WeightSpec[] {
  const v = config.vision;
  const C = v.hiddenSize;
  const I = v.intermediateSize;
  const p = v.patchSize;
  // position_embedding covers the tower's native grid (vision_config.image_size), which
  // force_image_size may differ from (InternVL interpolates it then).
  const side = v.imageSize / p;
  const out: WeightSpec[] = [
    { name: 'vision_model.embeddings.class_embedding', shape: [1, 1, C] },
    { name: 'vision_model.embeddings.patch_embedding.weight', shape: [C, 3, p, p] },
    { name: 'vision_model.embeddings.patch_embedding.bias', shape: [C] },
    { name: 'vision_model.embeddings.position_embedding', shape: [1, side * side + 1, C] },
  ];
  const norm = (prefix: string): WeightSpec[] =>
    v.normType === 'layer_norm'
      ? [
          { name: `${prefix}.weight`, shape: [C] },
          { name: `${prefix}.bias`, shape: [C] },
        ]
      : [{ name: `${prefix}.weight`, shape: [C] }];
  for (let i = 0; i < v.numLayers; i++) {
    const L = `vision_model.encoder.layers.${i}`;
    out.push({ name: `${L}.attn.qkv.weight`, shape: [3 * C, C] });
    if (v.qkvBias) out.push({ name: `${L}.attn.qkv.bias`, shape: [3 * C] });
    if (v.qkNormalization) {
      out.push(
        { name: `${L}.attn.q_norm.weight`, shape: [C] },
        { name: `${L}.attn.k_norm.weight`, shape: [C] },
      );
    }
    out.push(
      { name: `${L}.attn.proj.weight`, shape: [C, C] },
      { name: `${L}.attn.proj.bias`, shape: [C] },
      { name: `${L}.mlp.fc1.weight`, shape: [I, C] },
      { name: `${L}.mlp.fc1.bias`, shape: [I] },
      { name: `${L}.mlp.fc2.weight`, shape: [C, I] },
      { name: `${L}.mlp.fc2.bias`, shape: [C] },
      ...norm(`${L}.norm1`),
      ...norm(`${L}.norm2`),
      { name: `${L}.ls1`, shape: [C] },
      { name: `${L}.ls2`, shape: [C] },
    );
  }
  return out;
}

function projectorWeights(config: InternVLConfig): WeightSpec[] {
  const P = projectorInputSize(config);
  const D = config.llm.hiddenSize;
  return [
    { name: 'mlp1.0.weight', shape: [P] },
    { name: 'mlp1.0.bias', shape: [P] },
    { name: 'mlp1.1.weight', shape: [D, P] },
    { name: 'mlp1.1.bias', shape: [D] },
    { name: 'mlp1.3.weight', shape: [D, D] },
    { name: 'mlp1.3.bias', shape: [D] },
  ];
}

/** Names of the LLM tensors that are not per layer. */
export interface LlmTopLevelNames {
  embed: string;
  finalNorm: string;
  /** The untied output projection. */
  lmHead: string;
}

/** Top-level LLM tensor names per architecture (spec section 3). */
export function llmTopLevelNames(architecture: LlmArchitecture): LlmTopLevelNames {
  return architecture === 'Phi3ForCausalLM'
    ? {
        embed: 'language_model.model.embed_tokens.weight',
        finalNorm: 'language_model.model.norm.weight',
        lmHead: 'language_model.lm_head.weight',
      }
    : {
        embed: 'language_model.model.tok_embeddings.weight',
        finalNorm: 'language_model.model.norm.weight',
        lmHead: 'language_model.output.weight',
      };
}

function llmWeights(config: InternVLConfig): WeightSpec[] {
  const l = config.llm;
  const H = l.hiddenSize;
  const qkvRows = (l.numHeads + 2 * l.numKvHeads) * l.headDim;
  const attnOut = l.numHeads * l.headDim;
  const I = l.intermediateSize;
  const top = llmTopLevelNames(l.architecture);
  const out: WeightSpec[] = [{ name: top.embed, shape: [l.vocabSize, H] }];
  for (let i = 0; i < l.numLayers; i++) {
    const L = `language_model.model.layers.${i}`;
    if (l.architecture === 'Phi3ForCausalLM') {
      out.push(
        { name: `${L}.self_attn.qkv_proj.weight`, shape: [qkvRows, H] },
        { name: `${L}.self_attn.o_proj.weight`, shape: [H, attnOut] },
        { name: `${L}.mlp.gate_up_proj.weight`, shape: [2 * I, H] },
        { name: `${L}.mlp.down_proj.weight`, shape: [H, I] },
        { name: `${L}.input_layernorm.weight`, shape: [H] },
        { name: `${L}.post_attention_layernorm.weight`, shape: [H] },
      );
    } else {
      out.push(
        { name: `${L}.attention.wqkv.weight`, shape: [qkvRows, H] },
        { name: `${L}.attention.wo.weight`, shape: [H, attnOut] },
        { name: `${L}.feed_forward.w1.weight`, shape: [I, H] },
        { name: `${L}.feed_forward.w3.weight`, shape: [I, H] },
        { name: `${L}.feed_forward.w2.weight`, shape: [H, I] },
        { name: `${L}.attention_norm.weight`, shape: [H] },
        { name: `${L}.ffn_norm.weight`, shape: [H] },
      );
    }
  }
  out.push({ name: top.finalNorm, shape: [H] });
  // A tied head reuses the embedding table and is not stored.
  if (!l.tieWordEmbeddings) out.push({ name: top.lmHead, shape: [l.vocabSize, H] });
  return out;
}

/**
 * Every tensor an InternVL 1.5 checkpoint holds for `config`, which is all the reference forward
 * reads, in module order: vision tower (qkv bias, q/k norms and LayerNorm biases as the config
 * says), projector mlp1, then the LLM (Phi-3: fused qkv_proj/gate_up_proj; InternLM2: KV-grouped
 * wqkv, w1/w3/w2).
 */
export function expectedWeights(config: InternVLConfig): WeightSpec[] {
  return [...visionWeights(config), ...projectorWeights(config), ...llmWeights(config)];
}
