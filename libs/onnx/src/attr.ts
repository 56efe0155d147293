import { InvalidArgumentError } from '@internvl/errors';
import type { TensorData } from './tensor-data';

/** A typed node attribute value; build one with {@link attr}. */
export type AttrValue =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'ints'; value: number[] }
  | { kind: 'floats'; value: number[] }
  | { kind: 'string'; value: string }
  | { kind: 'strings'; value: string[] }
  | { kind: 'tensor'; value: TensorData };

function checkInt(v: number): number {
  if (!Number.isSafeInteger(v)) throw new InvalidArgumentError(`integer attribute value expected, got ${v}`);
  return v;
}

/**
 * Attribute constructors. The kind is explicit because ONNX distinguishes `int` from `float`
 * attributes and a JS number cannot say which one an op expects.
 */
export const attr = {
  int: (v: number): AttrValue => ({ kind: 'int', value: checkInt(v) }),
  float: (v: number): AttrValue => ({ kind: 'float', value: v }),
  ints: (v: number[]): AttrValue => ({ kind: 'ints', value: v.map(checkInt) }),
  floats: (v: number[]): AttrValue => ({ kind: 'floats', value: [...v] }),
  string: (v: string): AttrValue => ({ kind: 'string', value: v }),
  strings: (v: string[]): AttrValue => ({ kind: 'strings', value: [...v] }),
  tensor: (t: TensorData): AttrValue => ({ kind: 'tensor', value: t }),
};
