import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeSentencePieceModel, llama2Vocab, PieceType } from '@internvl/tokenizer';
import { seededValues } from './numbers';

// A checkpoint written without make-tiny or the checkpoint writer: config.json as the HF repo
// lays it out (scaled down), weights listed by hand from the spec's tensor table, sharded
// safetensors in fp16 built byte by byte, and a SentencePiece tokenizer.model instead of
// tokenizer.json — the shape of the real Mini-InternVL-Chat-4B-V1-5 download.

const C = 64; // vision hidden
const I_V = 128;
const D = 64; // llm hidden
const H = 4;
const HD = 16;
const I = 128;
const V = 32020;
const LAYERS = 2;

const CONFIG = {
  _commit_hash: null,
  architectures: ['InternVLChatModel'],
  auto_map: {
    AutoConfig: 'configuration_internvl_chat.InternVLChatConfig',
    AutoModel: 'modeling_internvl_chat.InternVLChatModel',
  },
  downsample_ratio: 0.5,
  dynamic_image_size: true,
  force_image_size: 448,
  llm_config: {
    architectures: ['Phi3ForCausalLM'],
    attention_dropout: 0.0,
    bos_token_id: 1,
    embd_pdrop: 0.0,
    eos_token_id: 32000,
    hidden_act: 'silu',
    hidden_size: D,
    initializer_range: 0.02,
    intermediate_size: I,
    max_position_embeddings: 131072,
    model_type: 'phi3',
    num_attention_heads: H,
    num_hidden_layers: LAYERS,
    num_key_value_heads: H,
    original_max_position_embeddings: 4096,
    pad_token_id: 32000,
    resid_pdrop: 0.0,
    rms_norm_eps: 1e-5,
    rope_scaling: {
      long_factor: [
        1.0299999713897705, 1.0499999523162842, 1.0499999523162842, 1.0799999237060547, 1.2299998998641968,
        1.2299998998641968, 1.2999999523162842, 1.4499999284744263,
      ],
      short_factor: [1.05, 1.05, 1.05, 1.1, 1.1, 1.1, 1.25, 1.25],
      type: 'su',
    },
    rope_theta: 10000.0,
    sliding_window: 262144,
    tie_word_embeddings: false,
    torch_dtype: 'bfloat16',
    use_cache: true,
    vocab_size: V,
  },
  max_dynamic_patch: 12,
  min_dynamic_patch: 1,
  model_type: 'internvl_chat',
  ps_version: 'v2',
  select_layer: -1,
  template: 'phi3-chat',
  torch_dtype: 'bfloat16',
  use_backbone_lora: 0,
  use_llm_lora: 0,
  use_thumbnail: true,
  vision_config: {
    architectures: ['InternVisionModel'],
    attention_dropout: 0.0,
    drop_path_rate: 0.0,
    dropout: 0.0,
    hidden_act: 'gelu',
    hidden_size: C,
    image_size: 448,
    initializer_factor: 1.0,
    initializer_range: 0.02,
    intermediate_size: I_V,
    layer_norm_eps: 1e-6,
    model_type: 'intern_vit_6b',
    norm_type: 'layer_norm',
    num_attention_heads: 4,
    num_channels: 3,
    num_hidden_layers: LAYERS,
    patch_size: 14,
    qk_normalization: false,
    qkv_bias: true,
    use_flash_attn: true,
  },
};

function tensorTable(): Array<[string, number[]]> {
  const t: Array<[string, number[]]> = [
    ['vision_model.embeddings.class_embedding', [1, 1, C]],
    ['vision_model.embeddings.patch_embedding.weight', [C, 3, 14, 14]],
    ['vision_model.embeddings.patch_embedding.bias', [C]],
    ['vision_model.embeddings.position_embedding', [1, 1025, C]],
  ];
  for (let i = 0; i < LAYERS; i++) {
    const p = `vision_model.encoder.layers.${i}`;
    t.push(
      [`${p}.attn.qkv.weight`, [3 * C, C]],
      [`${p}.attn.qkv.bias`, [3 * C]],
      [`${p}.attn.proj.weight`, [C, C]],
      [`${p}.attn.proj.bias`, [C]],
    );
    t.push(
      [`${p}.mlp.fc1.weight`, [I_V, C]],
      [`${p}.mlp.fc1.bias`, [I_V]],
      [`${p}.mlp.fc2.weight`, [C, I_V]],
      [`${p}.mlp.fc2.bias`, [C]],
    );
    t.push(
      [`${p}.norm1.weight`, [C]],
      [`${p}.norm1.bias`, [C]],
      [`${p}.norm2.weight`, [C]],
      [`${p}.norm2.bias`, [C]],
      [`${p}.ls1`, [C]],
      [`${p}.ls2`, [C]],
    );
  }
  t.push(
    ['mlp1.0.weight', [4 * C]],
    ['mlp1.0.bias', [4 * C]],
    ['mlp1.1.weight', [D, 4 * C]],
    ['mlp1.1.bias', [D]],
    ['mlp1.3.weight', [D, D]],
    ['mlp1.3.bias', [D]],
  );
  t.push(['language_model.model.embed_tokens.weight', [V, D]]);
  for (let i = 0; i < LAYERS; i++) {
    const p = `language_model.model.layers.${i}`;
    t.push(
      [`${p}.self_attn.qkv_proj.weight`, [3 * H * HD, D]],
      [`${p}.self_attn.o_proj.weight`, [D, H * HD]],
    );
    t.push([`${p}.mlp.gate_up_proj.weight`, [2 * I, D]], [`${p}.mlp.down_proj.weight`, [D, I]]);
    t.push([`${p}.input_layernorm.weight`, [D]], [`${p}.post_attention_layernorm.weight`, [D]]);
  }
  t.push(['language_model.model.norm.weight', [D]], ['language_model.lm_head.weight', [V, D]]);
  return t;
}

/** IEEE half bits of a float32 value, round-to-nearest-even (written here, not taken from our libs). */
function halfBits(value: number): number {
  const f = new Float32Array([value]);
  const x = new Uint32Array(f.buffer)[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  let mant = x & 0x7fffff;
  if (exp <= 0) {
    if (exp < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - exp;
    const half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rest > mid || (rest === mid && half & 1) ? 1 : 0));
  }
  if (exp >= 31) return sign | 0x7c00;
  const half = (exp << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  return sign | (half + (rest > 0x1000 || (rest === 0x1000 && half & 1) ? 1 : 0));
}

function writeShard(
  path: string,
  tensors: Array<[string, number[]]>,
  valuesOf: (name: string, n: number) => Float32Array,
): void {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  const bodies: Buffer[] = [];
  let offset = 0;
  for (const [name, shape] of tensors) {
    const n = shape.reduce((a, b) => a * b, 1);
    const body = Buffer.alloc(n * 2);
    const values = valuesOf(name, n);
    for (let i = 0; i < n; i++) body.writeUInt16LE(halfBits(values[i]!), i * 2);
    header[name] = { dtype: 'F16', shape, data_offsets: [offset, offset + body.length] };
    bodies.push(body);
    offset += body.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(path, Buffer.concat([length, Buffer.from(json, 'utf8'), ...bodies]));
}

function tokenizerModel(): Uint8Array {
  const { pieces } = llama2Vocab();
  return encodeSentencePieceModel({
    pieces: pieces.map((piece, id) => ({
      piece,
      score: id < 259 ? 0 : -(id - 259),
      type:
        id === 0
          ? PieceType.UNKNOWN
          : id < 3
            ? PieceType.CONTROL
            : id < 259
              ? PieceType.BYTE
              : PieceType.NORMAL,
    })),
    modelType: 2,
    byteFallback: true,
    unkPiece: '<unk>',
  });
}

const ADDED_TOKENS = {
  '<|endoftext|>': 32000,
  '<|assistant|>': 32001,
  '<|placeholder1|>': 32002,
  '<|placeholder2|>': 32003,
  '<|placeholder3|>': 32004,
  '<|placeholder4|>': 32005,
  '<|system|>': 32006,
  '<|end|>': 32007,
  '<|placeholder5|>': 32008,
  '<|placeholder6|>': 32009,
  '<|user|>': 32010,
  '<img>': 32011,
  '</img>': 32012,
  '<IMG_CONTEXT>': 32013,
  '<quad>': 32014,
  '</quad>': 32015,
  '<ref>': 32016,
  '</ref>': 32017,
  '<box>': 32018,
  '</box>': 32019,
};

/** Writes the checkpoint into `dir` and returns it. */
export function writeIndependentCheckpoint(dir: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(CONFIG, null, 2));
  const table = tensorTable();
  const valuesOf = (name: string, n: number) => {
    let seed = 0;
    for (const ch of name) seed = (Math.imul(seed, 31) + ch.charCodeAt(0)) >>> 0;
    const scale = /norm|ls[12]$/.test(name) ? 0.2 : 0.3;
    const values = seededValues(n, seed, scale);
    if (/norm.*weight$/.test(name)) for (let i = 0; i < n; i++) values[i]! += 1;
    return values;
  };
  // Shard split the way HF does it: by order, into two files, plus the index.
  const split = Math.floor(table.length / 2);
  const shards = [table.slice(0, split), table.slice(split)];
  const weightMap: Record<string, string> = {};
  shards.forEach((tensors, i) => {
    const file = `model-0000${i + 1}-of-00002.safetensors`;
    writeShard(join(dir, file), tensors, valuesOf);
    for (const [name] of tensors) weightMap[name] = file;
  });
  writeFileSync(
    join(dir, 'model.safetensors.index.json'),
    JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }, null, 2),
  );
  writeFileSync(join(dir, 'tokenizer.model'), tokenizerModel());
  writeFileSync(join(dir, 'added_tokens.json'), JSON.stringify(ADDED_TOKENS, null, 2));
  return dir;
}
