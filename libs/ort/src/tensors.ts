import { InvalidArgumentError } from '@internvl/errors';
import { f16ToF32 } from '@internvl/float-formats';
import { Tensor } from 'onnxruntime-node';
import type { OrtTensor } from './ort-types';

function checkDims(kind: string, length: number, dims: readonly number[]): void {
  const n = dims.reduce((a, b) => a * b, 1);
  if (n !== length) {
    throw new InvalidArgumentError(
      `${kind} tensor: dims [${dims}] hold ${n} elements but data has ${length}`,
    );
  }
}

/** A float32 tensor over `data` (no copy for a Float32Array). */
export function float32Tensor(data: Float32Array | number[], dims: readonly number[]): OrtTensor {
  const values = data instanceof Float32Array ? data : Float32Array.from(data);
  checkDims('float32', values.length, dims);
  return new Tensor('float32', values, dims);
}

/** A float16 tensor from IEEE half bit patterns (Node 20 has no Float16Array). */
export function float16Tensor(bits: Uint16Array, dims: readonly number[]): OrtTensor {
  checkDims('float16', bits.length, dims);
  return new Tensor('float16', bits, dims);
}

/** An int64 tensor (token ids, positions). */
export function int64Tensor(data: number[] | BigInt64Array, dims: readonly number[]): OrtTensor {
  const values = data instanceof BigInt64Array ? data : BigInt64Array.from(data, (v) => BigInt(v));
  checkDims('int64', values.length, dims);
  return new Tensor('int64', values, dims);
}

/**
 * A float tensor's values as float32: float32 data is returned as is (shared, not copied);
 * float16 (bit patterns in a Uint16Array on Node 20) is converted.
 */
export function toFloat32(tensor: OrtTensor): Float32Array {
  const data: unknown = tensor.data;
  if (tensor.type === 'float32' && data instanceof Float32Array) return data;
  if (tensor.type === 'float16') {
    if (data instanceof Uint16Array) return f16ToF32(data);
    // Runtimes with a native Float16Array hand those out instead of bit patterns.
    return Float32Array.from(data as ArrayLike<number>);
  }
  throw new InvalidArgumentError(`toFloat32 needs a float32 or float16 tensor, got ${tensor.type}`);
}
