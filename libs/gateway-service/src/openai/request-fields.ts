import { InvalidRequestError } from './openai-errors';

/** A parsed JSON object whose fields are read one by one with typed checks. */
export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON null means "not given", as OpenAI clients send explicit nulls for unset options. */
export function isAbsent(value: unknown): value is undefined | null {
  return value === undefined || value === null;
}

/** Wire bounds of the GenerationParams fields a number ends up in (int32 and float). */
export const INT32_MAX = 2 ** 31 - 1;
const FLOAT32_MAX = 3.4028234663852886e38;

export interface NumberRule {
  /** An int32 field unless `max` says otherwise (seed: Number.MAX_SAFE_INTEGER). */
  integer?: boolean;
  min?: number;
  /** Excludes `min` itself. */
  minExclusive?: boolean;
  max?: number;
}

export function optionalNumber(body: JsonObject, key: string, rule: NumberRule = {}): number | undefined {
  const value = body[key];
  if (isAbsent(value)) return undefined;
  const kind = rule.integer ? 'an integer' : 'a number';
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    (rule.integer && !Number.isSafeInteger(value))
  ) {
    throw new InvalidRequestError(`'${key}' must be ${kind}, got ${JSON.stringify(value)}`, key);
  }
  const { min, minExclusive } = rule;
  // Without an explicit bound a number must still fit the wire field it goes to (int32 / float).
  const max = rule.max ?? (rule.integer ? INT32_MAX : FLOAT32_MAX);
  if (!rule.integer && min === undefined && value < -FLOAT32_MAX) {
    throw new InvalidRequestError(`'${key}' must be >= ${-FLOAT32_MAX}, got ${value}`, key);
  }
  const belowMin = min !== undefined && (minExclusive ? value <= min : value < min);
  if (belowMin || (max !== undefined && value > max)) {
    const lower = min === undefined ? '' : `${minExclusive ? '>' : '>='} ${min}`;
    const upper = max === undefined ? '' : `<= ${max}`;
    throw new InvalidRequestError(
      `'${key}' must be ${[lower, upper].filter(Boolean).join(' and ')}, got ${value}`,
      key,
    );
  }
  return value;
}

export function optionalBoolean(body: JsonObject, key: string): boolean | undefined {
  const value = body[key];
  if (isAbsent(value)) return undefined;
  if (typeof value !== 'boolean') throw new InvalidRequestError(`'${key}' must be a boolean`, key);
  return value;
}

/** Rejects a field whose value asks for something this server does not do. */
export function rejectUnless(body: JsonObject, key: string, isHarmless: (value: unknown) => boolean): void {
  const value = body[key];
  if (isAbsent(value) || isHarmless(value)) return;
  throw new InvalidRequestError(`'${key}' is not supported by this server; leave it out`, key);
}
