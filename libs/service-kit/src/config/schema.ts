/**
 * A typed configuration schema: one per app. Every field has a default and a doc line;
 * values come from flags (`--max-batch-tiles 8`) or env (`INTERNVL_VISION_MAX_BATCH_TILES=8`),
 * flags winning. Unknown keys are rejected so a typo never silently runs with a default.
 */
export type FieldType = 'string' | 'int' | 'number' | 'bool' | 'list';

interface FieldBase<T> {
  /** One line shown in --help and the start-up banner. */
  doc: string;
  default: T;
  /** Values outside [min, max] are rejected (numbers only). */
  min?: number;
  max?: number;
  /** Accepted values (strings only). */
  choices?: readonly string[];
  /** Hide from the start-up banner (secrets). */
  secret?: boolean;
}

export type Field =
  | ({ type: 'string' } & FieldBase<string>)
  | ({ type: 'int' } & FieldBase<number>)
  | ({ type: 'number' } & FieldBase<number>)
  | ({ type: 'bool' } & FieldBase<boolean>)
  | ({ type: 'list' } & FieldBase<string[]>);

export type Schema = Record<string, Field>;

type ValueOf<F extends Field> = F['default'];

/** The parsed config object of a schema: keys as written in the schema (snake_case). */
export type ConfigOf<S extends Schema> = { readonly [K in keyof S]: ValueOf<S[K]> };

/** Identity helper that keeps the literal field types for ConfigOf. */
export function defineSchema<S extends Schema>(schema: S): S {
  return schema;
}

/** snake_case key → --kebab-case flag. */
export function flagName(key: string): string {
  return `--${key.replace(/_/g, '-')}`;
}

/** snake_case key → INTERNVL_<PREFIX>_<KEY> env variable. */
export function envName(prefix: string, key: string): string {
  return `INTERNVL_${prefix.toUpperCase()}_${key.toUpperCase()}`;
}
