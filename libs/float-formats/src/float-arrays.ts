import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { f16ToF32, f32ToF16 } from './float-convert';

/** Float element types the tiers exchange (the names ONNX Runtime and the manifest use). */
export type FloatType = 'float32' | 'float16';

/** Float values: float32 values, or binary16 bit patterns (Node 20 has no Float16Array). */
export type FloatArray = Float32Array | Uint16Array;

export const BYTES_PER_ELEMENT: Readonly<Record<FloatType, number>> = { float32: 4, float16: 2 };

export function floatTypeOf(data: FloatArray): FloatType {
  return data instanceof Float32Array ? 'float32' : 'float16';
}

/**
 * Views wire bytes as values of `type`, without a copy when the bytes are aligned. Wire tensors are
 * little-endian and Node only ships for little-endian hosts (x64, arm64), so the bytes are already
 * in native order.
 */
export function floatView(bytes: Uint8Array, type: FloatType): FloatArray {
  const size = BYTES_PER_ELEMENT[type];
  const aligned = bytes.byteOffset % size === 0 ? bytes : Uint8Array.from(bytes);
  const length = aligned.byteLength / size;
  return type === 'float32'
    ? new Float32Array(aligned.buffer, aligned.byteOffset, length)
    : new Uint16Array(aligned.buffer, aligned.byteOffset, length);
}

/** Values converted per step by {@link toFloatTypeInSteps}: ~5 ms of work. */
const STEP_VALUES = 1 << 19;

/**
 * `data` as `type`: the same array when it already is, else converted (fp16 rounds to nearest
 * even); with `into` (of `type` and `data`'s length) the values land there instead. A whole request
 * (up to 41 tiles, ~25M values, ~150 ms of conversion) is converted in steps with the event loop
 * free in between, so other calls and health checks are not held up.
 */
export async function toFloatTypeInSteps(
  data: FloatArray,
  type: FloatType,
  into?: FloatArray,
): Promise<FloatArray> {
  if (floatTypeOf(data) === type) {
    if (!into) return data;
    (into as Float32Array).set(data as Float32Array);
    return into;
  }
  const out = into ?? (type === 'float32' ? new Float32Array(data.length) : new Uint16Array(data.length));
  for (let start = 0; start < data.length; start += STEP_VALUES) {
    const end = Math.min(start + STEP_VALUES, data.length);
    if (data instanceof Float32Array)
      f32ToF16(data.subarray(start, end), (out as Uint16Array).subarray(start, end));
    else f16ToF32(data.subarray(start, end), (out as Float32Array).subarray(start, end));
    if (end < data.length) await yieldToEventLoop();
  }
  return out;
}

/** The bytes of `data` as a Buffer over the same memory (no copy). */
export function floatBytes(data: FloatArray): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
