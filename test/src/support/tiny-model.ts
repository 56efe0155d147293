import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTinyCheckpoint } from '@internvl/checkpoint';
import { convertCheckpoint } from '@internvl/converter';

/** Name of the tiny checkpoint folder, which becomes the model's name in its manifest. */
export const TINY_MODEL_NAME = 'tiny-phi3';

/**
 * A tiny random InternVL checkpoint converted at fp32 into a fresh temp folder (~1 s), for
 * tiers started as processes with `--model`.
 */
export async function buildTinyModel(): Promise<string> {
  const work = mkdtempSync(join(tmpdir(), 'internvl-e2e-model-'));
  const checkpoint = join(work, TINY_MODEL_NAME);
  const model = join(work, 'model');
  makeTinyCheckpoint(checkpoint, { llm: 'phi3', seed: 7 });
  await convertCheckpoint({ from: checkpoint, to: model, precision: 'fp32' });
  return model;
}
