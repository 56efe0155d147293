import { InvalidArgumentError } from '@internvl/errors';
import type { FloatType } from '@internvl/float-formats';
import type { InternVLConfig } from './model-config';

// 2: decoder.onnx takes logits_to_keep.
// 3: decoder.onnx reads the cache in place and returns only the new K/V rows; the caller rotates
//    (rope_cos/rope_sin per position) and masks (past_bias/new_bias).
export const MANIFEST_FORMAT = 'internvl-onnx/3';
export const MANIFEST_FILE = 'manifest.json';

/** Describes a converted model directory: everything the services need, nothing hard-coded. */
export interface ModelManifest {
  format: typeof MANIFEST_FORMAT;
  /** Display name, e.g. the checkpoint folder name. */
  name: string;
  precision: 'fp32' | 'fp16' | 'int4';
  /** Element type of vision input/output and of the decoder's inputs_embeds and KV cache. */
  visionDtype: FloatType;
  decoderDtype: FloatType;
  /** Element type of the KV cache (decoder.onnx past and new K/V): float16 halves its bytes. */
  kvDtype: FloatType;
  /** int4 models: elements per quantization block of the decoder's Linear weights. */
  int4BlockSize?: number;
  /** Longest prompt + generation the llm tier serves (the converter's --max-context). */
  maxContextTokens: number;
  config: InternVLConfig;
  files: { vision: string; embed: string; decoder: string; tokenizer: string };
  /** The chat template by name (the templates themselves live with the prompt code, libs/prompt). */
  template: { name: string; systemMessage: string };
  tokens: {
    bos: number;
    /** Ids that end generation: the model's eos plus the template's stop tokens. */
    stop: number[];
    imageStart: number;
    imageEnd: number;
    imageContext: number;
  };
  converter: { version: string; source: string; createdAt: string };
}

/** Checks a parsed manifest.json enough to fail early and clearly on a wrong or old directory. */
export function parseManifest(json: unknown, where: string): ModelManifest {
  const m = json as Partial<ModelManifest> | undefined;
  if (!m || typeof m !== 'object') throw new InvalidArgumentError(`${where}: manifest is not a JSON object`);
  if (m.format !== MANIFEST_FORMAT) {
    throw new InvalidArgumentError(
      `${where}: manifest format '${String(m.format)}' is not '${MANIFEST_FORMAT}'; re-run 'internvl convert' with this version`,
    );
  }
  for (const key of [
    'name',
    'precision',
    'config',
    'files',
    'template',
    'tokens',
    'maxContextTokens',
    'kvDtype',
  ] as const) {
    if (m[key] === undefined) throw new InvalidArgumentError(`${where}: manifest is missing '${key}'`);
  }
  return m as ModelManifest;
}
