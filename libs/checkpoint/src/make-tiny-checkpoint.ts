import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expectedWeights, type InternVLConfig } from '@internvl/model-config';
import { buildInternLM2TokenizerFiles, buildPhi3TokenizerFiles } from '@internvl/tokenizer';
import { SAFETENSORS_SINGLE } from './checkpoint-reader';
import { parseInternVLConfig } from './parse-config';
import { writeSafetensorsStreamed } from './safetensors-writer';
import { checkTinyOptions, tinyDims, type TinyLlm, type TinyPreset } from './tiny-presets';
import { tinyConfigJson } from './tiny-config-json';
import { syntheticTensor } from './tiny-weights';

/** Options of {@link makeTinyCheckpoint} (the `internvl make-tiny` flags). */
export interface MakeTinyOptions {
  /** LLM family: 'phi3' (Mini-InternVL-Chat-4B layout, default) or 'internlm2' (2B layout). */
  llm?: TinyLlm;
  /** Seed of every weight; same seed, byte-identical model.safetensors. Default 0. */
  seed?: number;
  /** 'tiny' (hidden 64, default) or 'real-width' (the real widths, for benchmarks). */
  preset?: TinyPreset;
  /** Layers in both the vision tower and the LLM. Default 2. */
  layers?: number;
  /** Receives one line per step (config, tokenizer, each tensor written). */
  onProgress?: (message: string) => void;
}

/** What {@link makeTinyCheckpoint} wrote. */
export interface TinyCheckpoint {
  /** Absolute checkpoint folder. */
  dir: string;
  /** The written config.json, parsed. */
  config: InternVLConfig;
  /** Files written, relative to `dir`. */
  files: string[];
  /** Tensors in model.safetensors. */
  tensors: number;
  /** Size of model.safetensors in bytes. */
  weightBytes: number;
}

/** The config.json a synthetic checkpoint gets for these options (nothing is written). */
export function tinyCheckpointConfigJson(options: MakeTinyOptions = {}): Record<string, unknown> {
  const { llm = 'phi3', preset = 'tiny', seed = 0, layers = 2 } = options;
  checkTinyOptions(llm, preset, seed, layers);
  return tinyConfigJson(llm, tinyDims(llm, preset), layers);
}

/**
 * Writes a synthetic InternVL checkpoint in the exact HF layout: config.json with the real
 * model's fields, model.safetensors with the real tensor names and (scaled) shapes stored as
 * BF16, and tokenizer files. Weights are seeded and streamed to disk, so the real-width preset
 * (~0.5–1.2 GB) is written in bounded memory. Existing files of the same names are replaced.
 */
export function makeTinyCheckpoint(dir: string, options: MakeTinyOptions = {}): TinyCheckpoint {
  const { llm = 'phi3', preset = 'tiny', seed = 0, layers = 2 } = options;
  const progress = options.onProgress ?? (() => undefined);
  const configJson = tinyCheckpointConfigJson({ llm, preset, seed, layers });
  const config = parseInternVLConfig(configJson);
  const out = resolve(dir);
  mkdirSync(out, { recursive: true });

  writeFileSync(join(out, 'config.json'), JSON.stringify(configJson, null, 2) + '\n');
  progress(`config.json (${config.llm.architecture}, ${preset}, ${layers} layers, seed ${seed})`);
  const tokenizerFiles = llm === 'phi3' ? buildPhi3TokenizerFiles() : buildInternLM2TokenizerFiles();
  for (const [file, text] of Object.entries(tokenizerFiles)) writeFileSync(join(out, file), text);
  progress(`tokenizer files: ${Object.keys(tokenizerFiles).join(', ')}`);

  const specs = expectedWeights(config);
  const path = join(out, SAFETENSORS_SINGLE);
  writeSafetensorsStreamed(
    path,
    specs.map((s) => syntheticTensor(s, seed)),
    { format: 'pt' },
    {
      onTensor: (name, index, total) => progress(`${SAFETENSORS_SINGLE}: ${index + 1}/${total} ${name}`),
    },
  );
  const weightBytes = statSync(path).size;
  progress(`${SAFETENSORS_SINGLE}: ${specs.length} tensors, ${(weightBytes / 2 ** 20).toFixed(1)} MiB`);
  return {
    dir: out,
    config,
    files: ['config.json', ...Object.keys(tokenizerFiles), SAFETENSORS_SINGLE],
    tensors: specs.length,
    weightBytes,
  };
}
