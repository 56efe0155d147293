import type { FloatType } from './float-arrays';

/**
 * The short spellings command-line flags and config options accept (`--dtype fp16`), each with
 * the FloatType it stands for. Flags keep the spelling users type; past the parse boundary the code
 * speaks FloatType only.
 */
export const FLOAT_TYPE_FLAGS: Readonly<Record<'fp32' | 'fp16', FloatType>> = {
  fp32: 'float32',
  fp16: 'float16',
};

/**
 * A flag's `fp32`/`fp16` as its FloatType.
 * @throws RangeError for any other value (config schemas list these choices, so a parsed flag
 *   never is one).
 */
export function floatTypeFromFlag(flag: string): FloatType {
  const type = Object.hasOwn(FLOAT_TYPE_FLAGS, flag) ? FLOAT_TYPE_FLAGS[flag as 'fp32' | 'fp16'] : undefined;
  if (type === undefined) throw new RangeError(`'${flag}' is not one of fp32, fp16`);
  return type;
}
