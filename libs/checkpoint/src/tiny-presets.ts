import { InvalidArgumentError } from '@internvl/errors';

/** LLM families a synthetic checkpoint can be made for. */
export type TinyLlm = 'phi3' | 'internlm2';
/** `tiny`: test-sized widths; `real-width`: the real models' widths with few layers (benchmarks). */
export type TinyPreset = 'tiny' | 'real-width';

/** Widths of a synthetic checkpoint (layer counts are chosen separately). */
export interface TinyDims {
  vision: { hidden: number; heads: number; intermediate: number };
  llm: { hidden: number; heads: number; kvHeads: number; intermediate: number; vocab: number };
}

const VOCAB: Record<TinyLlm, number> = { phi3: 32020, internlm2: 92553 };

/**
 * Dims per preset. Vision stays at 448 px / patch 14 (256 tokens per tile) in both; vocab sizes
 * are the real ones because the special-token ids are. Head dims are multiples of 16, as the real
 * models' (96, 128) are: ORT's fused attention kernels (a GPU path would use them) need that.
 */
export function tinyDims(llm: TinyLlm, preset: TinyPreset): TinyDims {
  const vocab = VOCAB[llm];
  if (preset === 'tiny') {
    return {
      vision: { hidden: 64, heads: 4, intermediate: 128 },
      llm: { hidden: 64, heads: 4, kvHeads: llm === 'phi3' ? 4 : 2, intermediate: 128, vocab },
    };
  }
  return {
    vision: { hidden: 1024, heads: 16, intermediate: 4096 },
    llm:
      llm === 'phi3'
        ? { hidden: 3072, heads: 32, kvHeads: 32, intermediate: 8192, vocab }
        : { hidden: 2048, heads: 16, kvHeads: 8, intermediate: 8192, vocab },
  };
}

/** Checks CLI-style options and says which flag to fix. */
export function checkTinyOptions(llm: unknown, preset: unknown, seed: unknown, layers: unknown): void {
  if (llm !== 'phi3' && llm !== 'internlm2') {
    throw new InvalidArgumentError(`--llm must be phi3 or internlm2, got '${String(llm)}'`);
  }
  if (preset !== 'tiny' && preset !== 'real-width') {
    throw new InvalidArgumentError(`--preset must be tiny or real-width, got '${String(preset)}'`);
  }
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new InvalidArgumentError(`--seed must be an integer from 0 to 4294967295, got ${String(seed)}`);
  }
  if (typeof layers !== 'number' || !Number.isInteger(layers) || layers < 1 || layers > 64) {
    throw new InvalidArgumentError(`--layers must be an integer from 1 to 64, got ${String(layers)}`);
  }
}
