import { InvalidArgumentError } from '@internvl/errors';
import type { FloatType } from '@internvl/float-formats';

/** Element type of a model-directory tensor: one of the float types, or int64 for ids and indices. */
export type ModelTensorType = FloatType | 'int64';

/**
 * One input or output of a model-directory graph. A string dim is symbolic ({@link SYMBOLIC_DIMS}):
 * named in the graph, fixed by each run.
 */
export interface TensorSpec {
  name: string;
  type: ModelTensorType;
  dims: (number | string)[];
}

/** The symbolic dims the model-directory graphs declare. */
export const SYMBOLIC_DIMS = {
  /** vision.onnx: tiles in one run. */
  tiles: 'num_tiles',
  /** embed.onnx, decoder.onnx: rows (sequences) in one run. */
  batch: 'batch',
  /** embed.onnx, decoder.onnx: new positions per row in one run. */
  seq: 'seq',
  /** decoder.onnx: positions the cache buffers hold per row; may exceed a row's valid length. */
  pastSeq: 'past_seq',
  /** decoder.onnx: positions whose logits come back. */
  logitsRows: 'logits_rows',
} as const;

/**
 * The dims of `spec` for one run: each symbolic dim replaced by its size in `sizes`.
 * @throws InvalidArgumentError naming the dim when `sizes` lacks one.
 */
export function runDims(spec: TensorSpec, sizes: Readonly<Record<string, number>>): number[] {
  return spec.dims.map((dim) => {
    if (typeof dim === 'number') return dim;
    const size = sizes[dim];
    if (size === undefined) throw new InvalidArgumentError(`${spec.name}: no size given for dim '${dim}'`);
    return size;
  });
}
