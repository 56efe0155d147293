import { InvalidArgumentError } from '@internvl/errors';
import { ELEM_BYTES, type ElemType } from './elem-type';
import { f32ToF16 } from '@internvl/float-formats';

/** Typed arrays a tensor's values may come in. */
export type TensorValues = Float32Array | Uint16Array | Uint8Array | Int32Array | BigInt64Array;

/**
 * A dense row-major tensor. `float16` accepts either its bit patterns (`Uint16Array`) or
 * `Float32Array` values, which are rounded to float16 when written.
 */
export interface TensorData {
  type: ElemType;
  dims: number[];
  data: TensorValues;
}

const ACCEPTED: Readonly<Record<ElemType, readonly string[]>> = {
  float32: ['Float32Array'],
  float16: ['Uint16Array', 'Float32Array'],
  int64: ['BigInt64Array'],
  int32: ['Int32Array'],
  uint8: ['Uint8Array'],
  bool: ['Uint8Array'],
};

/** Number of elements of a shape. */
export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Throws InvalidArgumentError unless the array type and length match `type` and `dims`. */
export function checkTensorData(name: string, t: TensorData): void {
  if (t.dims.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new InvalidArgumentError(`tensor '${name}': dims must be non-negative integers, got [${t.dims}]`);
  }
  const ctor = t.data.constructor.name;
  if (!ACCEPTED[t.type].includes(ctor)) {
    throw new InvalidArgumentError(
      `tensor '${name}': ${t.type} data must be ${ACCEPTED[t.type].join(' or ')}, got ${ctor}`,
    );
  }
  const n = elementCount(t.dims);
  if (t.data.length !== n) {
    throw new InvalidArgumentError(
      `tensor '${name}': dims [${t.dims}] hold ${n} elements but data has ${t.data.length}`,
    );
  }
}

/** Size in bytes of the tensor as stored (float16 counts 2 bytes even when given as Float32Array). */
export function storedByteLength(t: TensorData): number {
  return elementCount(t.dims) * ELEM_BYTES[t.type];
}

/** Elements converted per chunk, so a multi-GB float32→float16 tensor never needs a second full copy. */
const CHUNK = 1 << 20;

/**
 * Yields the tensor's little-endian stored bytes in chunks. Views share memory with the input
 * where no conversion is needed; a converted chunk is only valid until the next one is pulled.
 */
export function* storedByteChunks(t: TensorData): Generator<Uint8Array> {
  if (t.type === 'float16' && t.data instanceof Float32Array) {
    const src = t.data;
    const buf = new Uint16Array(Math.min(CHUNK, src.length));
    for (let i = 0; i < src.length; i += CHUNK) {
      const part = src.subarray(i, Math.min(i + CHUNK, src.length));
      const half = f32ToF16(part, buf.subarray(0, part.length));
      yield new Uint8Array(half.buffer, half.byteOffset, half.byteLength);
    }
    return;
  }
  yield new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/** The tensor's stored bytes as one buffer (for small, inline tensors). */
export function storedBytes(t: TensorData): Uint8Array {
  if (!(t.type === 'float16' && t.data instanceof Float32Array)) {
    return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  }
  const out = new Uint8Array(storedByteLength(t));
  let off = 0;
  for (const c of storedByteChunks(t)) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}
