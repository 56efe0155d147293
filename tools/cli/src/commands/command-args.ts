import { readFileSync } from 'node:fs';
import {
  defineSchema,
  formatHelp,
  parseConfig,
  type ConfigOf,
  type Field,
  type Schema,
} from '@internvl/service-kit';

/**
 * A command's flags and positionals (from `argv` only, not the environment; `envPrefix` names the
 * flags' env form in errors); or the exit code 0 once `--help` has printed `help`.
 */
export function commandArgs<S extends Schema>(
  argv: readonly string[],
  schema: S,
  envPrefix: string,
  help: string,
): { config: ConfigOf<S>; positionals: string[] } | number {
  if (argv.includes('--help')) {
    process.stdout.write(help);
    return 0;
  }
  return parseConfig(schema, envPrefix, { argv, env: {} });
}

/** How the commands that preprocess an IMAGE tile it (InternVL's dynamic_preprocess). */
export const TILING_FLAGS = defineSchema({
  max_num: { type: 'int', default: 12, min: 1, max: 40, doc: 'Maximum tiles (the thumbnail is extra).' },
  min_num: { type: 'int', default: 1, min: 1, max: 40, doc: 'Minimum tiles.' },
  thumbnail: {
    type: 'bool',
    default: true,
    doc: 'Append the whole-image thumbnail when there is more than one tile (--no-thumbnail turns it off).',
  },
});

/**
 * The arguments of a command that reads one IMAGE and writes `--out FILE.npy`: the config, the
 * image's path and bytes; or the exit code once the help (`--help`: 0) or the usage (not one
 * IMAGE, or no --out: 2) is printed.
 */
export function imageCommandArgs<S extends Schema & { out: Field }>(
  argv: readonly string[],
  schema: S,
  usage: string,
  about: string,
): { config: ConfigOf<S>; path: string; image: Buffer } | number {
  const args = commandArgs(
    argv,
    schema,
    'cli',
    `${usage}\n\n${about}\n\nOptions:\n${formatHelp(schema, 'cli')}\n`,
  );
  if (typeof args === 'number') return args;
  const { config, positionals } = args;
  if (positionals.length !== 1 || !config.out) {
    process.stderr.write(`${usage}\n(run with --help for the options)\n`);
    return 2;
  }
  return { config, path: positionals[0]!, image: readFileSync(positionals[0]!) };
}
