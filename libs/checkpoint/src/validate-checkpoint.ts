import { expectedWeights, type InternVLConfig } from '@internvl/model-config';
import { CheckpointMismatchError, type CheckpointProblem } from './checkpoint-errors';
import type { TensorIndex } from './checkpoint-reader';
import { nearNames } from './near-names';

const FLOAT_DTYPES = new Set(['F32', 'F16', 'BF16', 'F64']);
const LISTED = 8;

/** Result of {@link checkCheckpoint}. */
export interface CheckpointCheck {
  /** Missing tensors, wrong shapes and non-float dtypes, in module order. */
  problems: CheckpointProblem[];
  /** Stored tensors the model does not use (harmless, reported for the curious). */
  unexpected: string[];
}

/** Compares a checkpoint's tensors with {@link expectedWeights}; never throws for a mismatch. */
export function checkCheckpoint(reader: TensorIndex, config: InternVLConfig): CheckpointCheck {
  const problems: CheckpointProblem[] = [];
  const expected = expectedWeights(config);
  const names = reader.names();
  for (const { name, shape } of expected) {
    if (!reader.has(name)) {
      const near = nearNames(name, names, 2);
      problems.push({
        kind: 'missing',
        tensor: name,
        message: `missing ${name}${near.length > 0 ? ` (similar: ${near.join(', ')})` : ''}`,
      });
      continue;
    }
    const actual = reader.shape(name);
    if (actual.length !== shape.length || actual.some((d, i) => d !== shape[i])) {
      problems.push({
        kind: 'shape',
        tensor: name,
        message: `tensor ${name} has shape [${actual.join(',')}], expected [${shape.join(',')}]`,
      });
    }
    const dtype = reader.dtype(name);
    if (!FLOAT_DTYPES.has(dtype)) {
      problems.push({
        kind: 'dtype',
        tensor: name,
        message: `tensor ${name} is stored as ${dtype}, expected a float dtype`,
      });
    }
  }
  const wanted = new Set(expected.map((w) => w.name));
  return { problems, unexpected: names.filter((n) => !wanted.has(n)) };
}

/**
 * Throws a {@link CheckpointMismatchError} listing every problem (the first few spelled out)
 * when the checkpoint does not hold exactly the tensors and shapes `config` implies — e.g. a
 * config.json from a different model size than its weights. Returns the check otherwise.
 */
export function validateCheckpoint(
  reader: TensorIndex & { dir?: string },
  config: InternVLConfig,
): CheckpointCheck {
  const check = checkCheckpoint(reader, config);
  if (check.problems.length > 0) {
    const where = reader.dir ? ` in ${reader.dir}` : '';
    const lines = check.problems.slice(0, LISTED).map((p) => `  - ${p.message}`);
    if (check.problems.length > LISTED) lines.push(`  - … and ${check.problems.length - LISTED} more`);
    throw new CheckpointMismatchError(
      `the checkpoint${where} does not match its config.json (${config.llm.architecture}, ` +
        `${config.vision.numLayers}+${config.llm.numLayers} layers): ${check.problems.length} problem(s):\n${lines.join('\n')}`,
      check.problems,
    );
  }
  return check;
}
