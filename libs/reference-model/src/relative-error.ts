import { InvalidArgumentError } from '@internvl/errors';

/**
 * max|actual − expected| / max|expected|: how far an output (an ONNX graph's, say) is from the
 * reference's, relative to the reference's scale.
 */
export function relativeError(actual: Float32Array, expected: Float32Array): number {
  if (actual.length !== expected.length) {
    throw new InvalidArgumentError(`length ${actual.length} vs ${expected.length}`);
  }
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return diff / scale;
}
