import type { Schema } from './schema';
import { envName, flagName } from './schema';

function show(value: unknown): string {
  return Array.isArray(value) ? value.join(',') : String(value);
}

/** Help text listing every option with its env variable, default and doc line. */
export function formatHelp(schema: Schema, envPrefix: string): string {
  const lines = Object.entries(schema).map(([key, field]) => {
    const type = field.type === 'bool' ? '' : ` <${field.choices ? field.choices.join('|') : field.type}>`;
    const dflt = field.secret ? '' : ` (default: ${show(field.default) || '""'})`;
    return `  ${flagName(key)}${type}\n      ${field.doc}${dflt}\n      env: ${envName(envPrefix, key)}`;
  });
  return lines.join('\n');
}

/** The effective config as a plain object for the start-up log line; secrets are masked. */
export function redactConfig(schema: Schema, config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config))
    out[key] = schema[key]?.secret && isSet(value) ? '***' : value;
  return out;
}

/** Whether a secret has a value worth hiding (an empty list or string shows that none is set). */
function isSet(value: unknown): boolean {
  return Array.isArray(value) ? value.length > 0 : Boolean(value);
}
