import { InvalidArgumentError } from '@internvl/errors';
import type { FloatType } from '@internvl/float-formats';
import { ElementType } from './gen/internvl/v1/tensor.pb';

/** FLOAT16/FLOAT32 on the wire → its type; anything else is the caller's mistake, named as `field`. */
export function floatTypeFromWire(type: ElementType, field: string, fallback?: FloatType): FloatType {
  if (type === ElementType.ELEMENT_TYPE_FLOAT16) return 'float16';
  if (type === ElementType.ELEMENT_TYPE_FLOAT32) return 'float32';
  if (type === ElementType.ELEMENT_TYPE_UNSPECIFIED && fallback) return fallback;
  const name = ElementType[type] ?? String(type);
  throw new InvalidArgumentError(`${field} is ${name}; send ELEMENT_TYPE_FLOAT16 or ELEMENT_TYPE_FLOAT32`);
}

/** A float type → its wire ElementType. */
export function floatTypeToWire(type: FloatType): ElementType {
  return type === 'float16' ? ElementType.ELEMENT_TYPE_FLOAT16 : ElementType.ELEMENT_TYPE_FLOAT32;
}
