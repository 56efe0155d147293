import { projectorInputSize, type InternVLConfig, type LlmArchitecture } from '@internvl/model-config';

/** A weight's HF safetensors name and PyTorch shape. */
export interface WeightSpec {
  name: string;
  shape: number[];
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

/** Every vision-tower and projector tensor the reference forward reads, in module order. */
export function visionWeightSpecs(config: InternVLConfig): WeightSpec[] {
  const v = config.vision;
  const C = v.hiddenSize;
  const I = v.intermediateSize;
  const p = v.patchSize;
  const side = v.imageSize / p;
  const P = projectorInputSize(config);
  const D = config.llm.hiddenSize;
  const specs: WeightSpec[] = [
    { name: 'vision_model.embeddings.class_embedding', shape: [1, 1, C] },
    { name: 'vision_model.embeddings.patch_embedding.weight', shape: [C, 3, p, p] },
    { name: 'vision_model.embeddings.patch_embedding.bias', shape: [C] },
    { name: 'vision_model.embeddings.position_embedding', shape: [1, side * side + 1, C] },
  ];
  for (let i = 0; i < v.numLayers; i++) {
    const L = `vision_model.encoder.layers.${i}`;
    specs.push({ name: `${L}.attn.qkv.weight`, shape: [3 * C, C] });
    if (v.qkvBias) specs.push({ name: `${L}.attn.qkv.bias`, shape: [3 * C] });
    if (v.qkNormalization) {
      specs.push({ name: `${L}.attn.q_norm.weight`, shape: [C] });
      specs.push({ name: `${L}.attn.k_norm.weight`, shape: [C] });
    }
    specs.push(
      { name: `${L}.attn.proj.weight`, shape: [C, C] },
      { name: `${L}.attn.proj.bias`, shape: [C] },
      { name: `${L}.mlp.fc1.weight`, shape: [I, C] },
      { name: `${L}.mlp.fc1.bias`, shape: [I] },
      { name: `${L}.mlp.fc2.weight`, shape: [C, I] },
      { name: `${L}.mlp.fc2.bias`, shape: [C] },
    );
    for (const norm of ['norm1', 'norm2']) {
      specs.push({ name: `${L}.${norm}.weight`, shape: [C] });
      if (v.normType === 'layer_norm') specs.push({ name: `${L}.${norm}.bias`, shape: [C] });
    }
    specs.push({ name: `${L}.ls1`, shape: [C] }, { name: `${L}.ls2`, shape: [C] });
  }
  specs.push(
    { name: 'mlp1.0.weight', shape: [P] },
    { name: 'mlp1.0.bias', shape: [P] },
    { name: 'mlp1.1.weight', shape: [D, P] },
    { name: 'mlp1.1.bias', shape: [D] },
    { name: 'mlp1.3.weight', shape: [D, D] },
    { name: 'mlp1.3.bias', shape: [D] },
  );
  return specs;
}

/** Every language-model tensor the reference forward reads (lm head omitted when tied). */
export function llmWeightSpecs(config: InternVLConfig): WeightSpec[] {
  const llm = config.llm;
  const D = llm.hiddenSize;
  const I = llm.intermediateSize;
  const qW = llm.numHeads * llm.headDim;
  const kvW = llm.numKvHeads * llm.headDim;
  const top = llmTopLevelNames(llm.architecture);
  const specs: WeightSpec[] = [{ name: top.embed, shape: [llm.vocabSize, D] }];
  for (let i = 0; i < llm.numLayers; i++) {
    const L = `language_model.model.layers.${i}`;
    if (llm.architecture === 'Phi3ForCausalLM') {
      specs.push(
        { name: `${L}.self_attn.qkv_proj.weight`, shape: [qW + 2 * kvW, D] },
        { name: `${L}.self_attn.o_proj.weight`, shape: [D, qW] },
        { name: `${L}.mlp.gate_up_proj.weight`, shape: [2 * I, D] },
        { name: `${L}.mlp.down_proj.weight`, shape: [D, I] },
        { name: `${L}.input_layernorm.weight`, shape: [D] },
        { name: `${L}.post_attention_layernorm.weight`, shape: [D] },
      );
    } else {
      specs.push(
        { name: `${L}.attention.wqkv.weight`, shape: [qW + 2 * kvW, D] },
        { name: `${L}.attention.wo.weight`, shape: [D, qW] },
        { name: `${L}.feed_forward.w1.weight`, shape: [I, D] },
        { name: `${L}.feed_forward.w3.weight`, shape: [I, D] },
        { name: `${L}.feed_forward.w2.weight`, shape: [D, I] },
        { name: `${L}.attention_norm.weight`, shape: [D] },
        { name: `${L}.ffn_norm.weight`, shape: [D] },
      );
    }
  }
  specs.push({ name: top.finalNorm, shape: [D] });
  if (!llm.tieWordEmbeddings) specs.push({ name: top.lmHead, shape: [llm.vocabSize, D] });
  return specs;
}

/** All tensors of an InternVLChatModel checkpoint that the reference forward reads. */
export function weightSpecs(config: InternVLConfig): WeightSpec[] {
  return [...visionWeightSpecs(config), ...llmWeightSpecs(config)];
}
