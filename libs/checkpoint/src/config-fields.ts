import { ConfigError } from './checkpoint-errors';

type Json = Record<string, unknown>;

/** True for a plain JSON object. */
export function isJsonObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Typed reads from one object of config.json. Every error names the full key path
 * (e.g. `llm_config.hidden_size`) and what was found, so the fix is obvious.
 */
export class ConfigFields {
  constructor(
    private readonly obj: Json,
    /** Key path of this object ('' for the top level). */
    readonly path: string,
  ) {}

  /** Key path of a field of this object. */
  key(name: string): string {
    return this.path ? `${this.path}.${name}` : name;
  }

  /** The raw value; undefined when absent (JSON null counts as absent). */
  raw(name: string): unknown {
    const v = this.obj[name];
    return v === null ? undefined : v;
  }

  /** True when the key holds a value other than null. */
  has(name: string): boolean {
    return this.raw(name) !== undefined;
  }

  /** True when the key is present at all, even as null. */
  hasKey(name: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.obj, name);
  }

  /** A nested object, required. */
  object(name: string): ConfigFields {
    const v = this.raw(name);
    if (v === undefined) throw new ConfigError(`config.json is missing ${this.key(name)}`);
    if (!isJsonObject(v))
      throw new ConfigError(`config.json: ${this.key(name)} must be an object, got ${describe(v)}`);
    return new ConfigFields(v, this.key(name));
  }

  number(name: string, fallback?: number): number {
    const v = this.raw(name);
    if (v === undefined) return this.fallback(name, fallback);
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new ConfigError(`config.json: ${this.key(name)} must be a number, got ${describe(v)}`);
    }
    return v;
  }

  /** An integer ≥ `min` (default 1 for sizes). */
  int(name: string, fallback?: number, min = 1): number {
    const v = this.number(name, fallback);
    if (!Number.isInteger(v) || v < min) {
      const bound = min === -Infinity ? '' : ` ≥ ${min}`;
      throw new ConfigError(`config.json: ${this.key(name)} must be an integer${bound}, got ${v}`);
    }
    return v;
  }

  bool(name: string, fallback?: boolean): boolean {
    const v = this.raw(name);
    if (v === undefined) return this.fallback(name, fallback);
    // Old InternVL configs store flags such as use_thumbnail as 0/1.
    if (v === 0 || v === 1) return v === 1;
    if (typeof v !== 'boolean')
      throw new ConfigError(`config.json: ${this.key(name)} must be true or false, got ${describe(v)}`);
    return v;
  }

  string(name: string, fallback?: string): string {
    const v = this.raw(name);
    if (v === undefined) return this.fallback(name, fallback);
    if (typeof v !== 'string')
      throw new ConfigError(`config.json: ${this.key(name)} must be a string, got ${describe(v)}`);
    return v;
  }

  /** One of `allowed`. */
  oneOf<T extends string>(name: string, allowed: readonly T[], fallback?: T): T {
    const v = this.string(name, fallback);
    if (!(allowed as readonly string[]).includes(v)) {
      throw new ConfigError(`config.json: ${this.key(name)} is '${v}'; supported: ${allowed.join(', ')}`);
    }
    return v as T;
  }

  /** A list of finite numbers. */
  numbers(name: string): number[] {
    const v = this.raw(name);
    if (v === undefined) throw new ConfigError(`config.json is missing ${this.key(name)}`);
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw new ConfigError(`config.json: ${this.key(name)} must be a list of numbers, got ${describe(v)}`);
    }
    return v as number[];
  }

  /** `architectures[0]`, or undefined when the key is absent. */
  architecture(): string | undefined {
    const v = this.raw('architectures');
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.length === 0 || typeof v[0] !== 'string') {
      throw new ConfigError(
        `config.json: ${this.key('architectures')} must be a non-empty list of names, got ${describe(v)}`,
      );
    }
    return v[0];
  }

  private fallback<T>(name: string, fallback: T | undefined): T {
    if (fallback === undefined) throw new ConfigError(`config.json is missing ${this.key(name)}`);
    return fallback;
  }
}

function describe(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
