import { InvalidArgumentError } from '@internvl/errors';
import type { ConfigOf, Field, Schema } from './schema';
import { envName, flagName } from './schema';

export interface ParseSources {
  /** Command-line arguments after the command name, e.g. ['--port', '50051']. */
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
}

/** Thrown for bad config; the CLI prints the message and the --help hint. */
export class ConfigError extends InvalidArgumentError {}

function parseValue(key: string, field: Field, raw: string, source: string): unknown {
  const where = `${source} (${key})`;
  switch (field.type) {
    case 'string': {
      if (field.choices && !field.choices.includes(raw)) {
        throw new ConfigError(`${where}: '${raw}' is not one of ${field.choices.join(', ')}`);
      }
      return raw;
    }
    case 'int':
    case 'number': {
      const value = Number(raw);
      if (
        raw.trim() === '' ||
        !Number.isFinite(value) ||
        (field.type === 'int' && !Number.isInteger(value))
      ) {
        throw new ConfigError(
          `${where}: '${raw}' is not ${field.type === 'int' ? 'an integer' : 'a number'}`,
        );
      }
      if (field.min !== undefined && value < field.min)
        throw new ConfigError(`${where}: ${value} is below the minimum ${field.min}`);
      if (field.max !== undefined && value > field.max)
        throw new ConfigError(`${where}: ${value} is above the maximum ${field.max}`);
      return value;
    }
    case 'bool': {
      if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
      if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
      throw new ConfigError(`${where}: '${raw}' is not a boolean (true/false)`);
    }
    case 'list':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
  }
}

/**
 * Parses config from env then flags (flags win). `envPrefix` scopes env variables
 * (INTERNVL_<PREFIX>_*); any such variable or flag not in the schema is an error.
 * Positional arguments are returned separately for commands that take them.
 */
export function parseConfig<S extends Schema>(
  schema: S,
  envPrefix: string,
  sources: ParseSources,
): { config: ConfigOf<S>; positionals: string[] } {
  const values: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(schema)) values[key] = field.default;

  const prefix = `INTERNVL_${envPrefix.toUpperCase()}_`;
  for (const [name, raw] of Object.entries(sources.env)) {
    if (!name.startsWith(prefix) || raw === undefined) continue;
    const key = name.slice(prefix.length).toLowerCase();
    const field = schema[key];
    if (!field)
      throw new ConfigError(
        `unknown environment variable ${name}; known: ${Object.keys(schema)
          .map((k) => envName(envPrefix, k))
          .join(', ')}`,
      );
    values[key] = parseValue(key, field, raw, name);
  }

  const byFlag = new Map(Object.keys(schema).map((k) => [flagName(k), k]));
  const positionals: string[] = [];
  const argv = sources.argv;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const [flag, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    const negated = flag.startsWith('--no-') ? byFlag.get(`--${flag.slice(5)}`) : undefined;
    const key = byFlag.get(flag) ?? negated;
    if (!key) throw new ConfigError(`unknown option ${flag}; run with --help to list the options`);
    const field = schema[key]!;
    if (field.type === 'bool' && inline === undefined) {
      values[key] = negated === undefined;
      continue;
    }
    const raw = inline ?? argv[++i];
    if (raw === undefined) throw new ConfigError(`option ${flag} needs a value`);
    values[key] = parseValue(key, field, raw, flag);
  }
  return { config: values as ConfigOf<S>, positionals };
}
