import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTinyCheckpoint } from '@internvl/checkpoint';
import { convertCheckpoint } from '@internvl/converter';
import { MANIFEST_FORMAT, type ModelManifest } from '@internvl/model-config';

/** Where benchmark checkpoints and model directories are cached between runs (BENCH_MODELS_DIR). */
export const BENCH_MODELS_DIR = process.env.BENCH_MODELS_DIR ?? join(tmpdir(), 'internvl-bench-models');

/** Whether `dir` holds a model directory in this converter's format (older ones are rebuilt). */
export function isCurrentModel(dir: string): boolean {
  const manifest = join(dir, 'manifest.json');
  if (!existsSync(manifest)) return false;
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { format?: string }).format === MANIFEST_FORMAT;
}

/**
 * A real-width checkpoint with few layers (the widths set the GEMM shapes, so per-layer speed is
 * the real model's), converted at `precision`. Built once and reused.
 */
export async function benchModel(
  llm: 'phi3' | 'internlm2',
  layers: number,
  precision: 'fp32' | 'fp16' | 'int4',
  log: (line: string) => void,
  kvDtype?: ModelManifest['kvDtype'],
): Promise<string> {
  const checkpoint = join(BENCH_MODELS_DIR, `${llm}-real-width-${layers}l`);
  if (!existsSync(join(checkpoint, 'config.json'))) {
    log(`writing a real-width ${llm} checkpoint with ${layers} layers to ${checkpoint} (once)`);
    await makeTinyCheckpoint(checkpoint, {
      llm,
      seed: 0,
      preset: 'real-width',
      layers,
      onProgress: (m: string) => log(`make-tiny: ${m}`),
    });
  }
  const model = `${checkpoint}-${precision}${kvDtype ? `-kv-${kvDtype}` : ''}`;
  if (!isCurrentModel(model)) {
    log(`converting to ${precision} → ${model} (once)`);
    let lastStage = '';
    await convertCheckpoint({
      from: checkpoint,
      to: model,
      precision,
      kvDtype,
      onProgress: (p) => {
        if (p.stage !== lastStage || p.done === p.total) log(`convert: ${p.message}`);
        lastStage = p.stage;
      },
    });
  }
  return model;
}
