import { InvalidArgumentError, UnimplementedError } from '@internvl/errors';
import { projectorInputSize, type InternVLConfig } from '@internvl/model-config';
import { attention } from './attention';
import { geluInPlace } from './erf-gelu';
import { columns, linear } from './linear';
import { layerNorm, rmsNorm } from './norms';
import { pixelShuffle } from './pixel-shuffle';
import type { WeightSource } from './weight-source';

const V = 'vision_model';

/** Side of the patch grid and token count (incl. CLS) of one tile. */
function grid(config: InternVLConfig): { side: number; tokens: number } {
  const side = config.vision.imageSize / config.vision.patchSize;
  return { side, tokens: side * side + 1 };
}

function checkInput(config: InternVLConfig, pixelValues: Float32Array, n: number): void {
  const v = config.vision;
  if (config.imageSize !== v.imageSize) {
    // Other sizes need the bicubic position-embedding interpolation, which the reference omits.
    throw new UnimplementedError(
      `reference vision forward supports image size ${v.imageSize} only (config asks for ${config.imageSize})`,
    );
  }
  if (v.imageSize % v.patchSize !== 0) {
    throw new InvalidArgumentError(
      `image_size ${v.imageSize} is not a multiple of patch_size ${v.patchSize}`,
    );
  }
  if (v.hiddenAct !== 'gelu')
    throw new UnimplementedError(`vision hidden_act '${v.hiddenAct}' is not supported`);
  const S = v.imageSize;
  if (!Number.isInteger(n) || n < 1 || pixelValues.length !== n * 3 * S * S) {
    throw new InvalidArgumentError(
      `pixel_values has ${pixelValues.length} values, expected ${n}×3×${S}×${S} = ${n * 3 * S * S}`,
    );
  }
}

/**
 * InternVisionEmbeddings for n tiles: Conv2d(3→C, k = s = patch, bias) with token index
 * row·side + col, CLS prepended, position embedding added (identity interpolation).
 * @param pixelValues [n, 3, S, S]
 * @returns [n, side²+1, C]
 */
export function visionEmbeddings(
  config: InternVLConfig,
  weights: WeightSource,
  pixelValues: Float32Array,
  n: number,
): Float32Array {
  checkInput(config, pixelValues, n);
  const C = config.vision.hiddenSize;
  const p = config.vision.patchSize;
  const S = config.vision.imageSize;
  const { side, tokens } = grid(config);
  const cls = weights.read(`${V}.embeddings.class_embedding`, [1, 1, C]);
  const convW = weights.read(`${V}.embeddings.patch_embedding.weight`, [C, 3, p, p]);
  const convB = weights.read(`${V}.embeddings.patch_embedding.bias`, [C]);
  const pos = weights.read(`${V}.embeddings.position_embedding`, [1, tokens, C]);

  const patchLen = 3 * p * p;
  const patches = new Float32Array(side * side * patchLen);
  const out = new Float32Array(n * tokens * C);
  for (let b = 0; b < n; b++) {
    const img = b * 3 * S * S;
    // Gather each patch in the conv weight's (channel, ky, kx) order so the conv is a Linear.
    for (let row = 0; row < side; row++) {
      for (let col = 0; col < side; col++) {
        let o = (row * side + col) * patchLen;
        for (let ch = 0; ch < 3; ch++) {
          for (let ky = 0; ky < p; ky++) {
            const src = img + ch * S * S + (row * p + ky) * S + col * p;
            for (let kx = 0; kx < p; kx++) patches[o++] = pixelValues[src + kx];
          }
        }
      }
    }
    const emb = linear(patches, side * side, patchLen, convW, C, convB);
    const base = b * tokens * C;
    for (let c = 0; c < C; c++) out[base + c] = cls[c] + pos[c];
    for (let t = 1; t < tokens; t++) {
      for (let c = 0; c < C; c++) out[base + t * C + c] = emb[(t - 1) * C + c] + pos[t * C + c];
    }
  }
  return out;
}

/** norm1/norm2 of an encoder layer: LayerNorm (300M) or RMSNorm (6B). */
function visionNorm(
  config: InternVLConfig,
  weights: WeightSource,
  name: string,
  x: Float32Array,
  rows: number,
) {
  const C = config.vision.hiddenSize;
  const w = weights.read(`${name}.weight`, [C]);
  if (config.vision.normType === 'layer_norm') {
    return layerNorm(x, rows, C, w, weights.read(`${name}.bias`, [C]), config.vision.layerNormEps);
  }
  return rmsNorm(x, rows, C, w, config.vision.layerNormEps);
}

/**
 * One InternVisionEncoderLayer on one tile, in place:
 * h += ls1·attn(norm1(h)); h += ls2·mlp(norm2(h)).
 * @param h [tokens, C]
 */
export function visionEncoderLayer(
  config: InternVLConfig,
  weights: WeightSource,
  layer: number,
  h: Float32Array,
  tokens: number,
): void {
  const v = config.vision;
  const C = v.hiddenSize;
  const I = v.intermediateSize;
  const hd = C / v.numHeads;
  const L = `${V}.encoder.layers.${layer}`;

  const x1 = visionNorm(config, weights, `${L}.norm1`, h, tokens);
  const qkvW = weights.read(`${L}.attn.qkv.weight`, [3 * C, C]);
  const qkvB = v.qkvBias ? weights.read(`${L}.attn.qkv.bias`, [3 * C]) : undefined;
  const qkv = linear(x1, tokens, C, qkvW, 3 * C, qkvB);
  let q = columns(qkv, tokens, 3 * C, 0, C);
  let k = columns(qkv, tokens, 3 * C, C, C);
  const vv = columns(qkv, tokens, 3 * C, 2 * C, C);
  if (v.qkNormalization) {
    // Over the full C (all heads together), before the heads are split.
    q = rmsNorm(q, tokens, C, weights.read(`${L}.attn.q_norm.weight`, [C]), v.layerNormEps);
    k = rmsNorm(k, tokens, C, weights.read(`${L}.attn.k_norm.weight`, [C]), v.layerNormEps);
  }
  // InternAttention scales q before q·kᵀ.
  const scale = Math.fround(Math.pow(hd, -0.5));
  for (let i = 0; i < q.length; i++) q[i] = q[i] * scale;
  const att = attention(q, k, vv, {
    T: tokens,
    numHeads: v.numHeads,
    numKvHeads: v.numHeads,
    headDim: hd,
    scale: 1,
    causal: false,
  });
  const proj = linear(
    att,
    tokens,
    C,
    weights.read(`${L}.attn.proj.weight`, [C, C]),
    C,
    weights.read(`${L}.attn.proj.bias`, [C]),
  );
  const ls1 = weights.read(`${L}.ls1`, [C]);
  for (let t = 0; t < tokens; t++) {
    for (let c = 0; c < C; c++) h[t * C + c] += Math.fround(proj[t * C + c] * ls1[c]);
  }

  const x2 = visionNorm(config, weights, `${L}.norm2`, h, tokens);
  const mid = geluInPlace(
    linear(
      x2,
      tokens,
      C,
      weights.read(`${L}.mlp.fc1.weight`, [I, C]),
      I,
      weights.read(`${L}.mlp.fc1.bias`, [I]),
    ),
  );
  const mlp = linear(
    mid,
    tokens,
    I,
    weights.read(`${L}.mlp.fc2.weight`, [C, I]),
    C,
    weights.read(`${L}.mlp.fc2.bias`, [C]),
  );
  const ls2 = weights.read(`${L}.ls2`, [C]);
  for (let t = 0; t < tokens; t++) {
    for (let c = 0; c < C; c++) h[t * C + c] += Math.fround(mlp[t * C + c] * ls2[c]);
  }
}

/**
 * Index into hidden_states = (embeddings, out_1, …, out_L) that select_layer picks
 * (Python indexing: −1 = out_L, −(L+1) = embeddings).
 */
export function selectedHiddenStateIndex(config: InternVLConfig): number {
  const L = config.vision.numLayers;
  const idx = config.selectLayer < 0 ? L + 1 + config.selectLayer : config.selectLayer;
  if (!Number.isInteger(idx) || idx < 0 || idx > L) {
    throw new InvalidArgumentError(
      `select_layer ${config.selectLayer} is out of range for ${L} vision layers`,
    );
  }
  return idx;
}

/**
 * InternVisionModel up to the hidden state select_layer picks (no final norm exists), tiles
 * independent of each other.
 * @param pixelValues [n, 3, S, S]
 * @returns [n, side²+1, C], CLS first
 */
export function visionEncoderForward(
  config: InternVLConfig,
  weights: WeightSource,
  pixelValues: Float32Array,
  n: number,
): Float32Array {
  const { tokens } = grid(config);
  const C = config.vision.hiddenSize;
  const hidden = visionEmbeddings(config, weights, pixelValues, n);
  const layers = selectedHiddenStateIndex(config);
  for (let b = 0; b < n; b++) {
    const h = hidden.subarray(b * tokens * C, (b + 1) * tokens * C);
    for (let l = 0; l < layers; l++) visionEncoderLayer(config, weights, l, h, tokens);
  }
  return hidden;
}

/**
 * extract_feature after the ViT: drop CLS, pixel_shuffle(downsample_ratio) per ps_version, then
 * mlp1 = LayerNorm(4C, eps 1e-5) → Linear(4C→D) → GELU → Linear(D→D); tiles flattened in order.
 * @param hidden [n, side²+1, C]
 * @returns [n·numImageTokens, D]
 */
export function projectVisionFeatures(
  config: InternVLConfig,
  weights: WeightSource,
  hidden: Float32Array,
  n: number,
): Float32Array {
  const { side, tokens } = grid(config);
  const C = config.vision.hiddenSize;
  const D = config.llm.hiddenSize;
  const P = projectorInputSize(config);
  if (hidden.length !== n * tokens * C) {
    throw new InvalidArgumentError(
      `vision hidden states have ${hidden.length} values, expected ${n * tokens * C}`,
    );
  }
  const noCls = new Float32Array(n * (tokens - 1) * C);
  for (let b = 0; b < n; b++) {
    noCls.set(hidden.subarray((b * tokens + 1) * C, (b + 1) * tokens * C), b * (tokens - 1) * C);
  }
  const shuffled = pixelShuffle(noCls, n, side, C, config.downsampleRatio, config.psVersion);
  const rows = shuffled.length / P;
  if (rows !== n * config.numImageTokens) {
    throw new InvalidArgumentError(
      `pixel shuffle gives ${rows} tokens, config says ${n * config.numImageTokens}`,
    );
  }
  const normed = layerNorm(
    shuffled,
    rows,
    P,
    weights.read('mlp1.0.weight', [P]),
    weights.read('mlp1.0.bias', [P]),
    1e-5,
  );
  const mid = geluInPlace(
    linear(normed, rows, P, weights.read('mlp1.1.weight', [D, P]), D, weights.read('mlp1.1.bias', [D])),
  );
  return linear(mid, rows, D, weights.read('mlp1.3.weight', [D, D]), D, weights.read('mlp1.3.bias', [D]));
}

/**
 * Full InternVL image path: ViT → select_layer → drop CLS → pixel shuffle → mlp1.
 * @param pixelValues [n, 3, S, S] normalized tiles
 * @returns [n·numImageTokens, llm hidden] rows for the IMG_CONTEXT positions, tile by tile
 */
export function visionForward(
  config: InternVLConfig,
  weights: WeightSource,
  pixelValues: Float32Array,
  n: number,
): Float32Array {
  return projectVisionFeatures(config, weights, visionEncoderForward(config, weights, pixelValues, n), n);
}
