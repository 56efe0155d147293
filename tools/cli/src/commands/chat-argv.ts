import { ConfigError } from '@internvl/service-kit';

export interface RepeatedFlags {
  /** argv without the repeated flags and their values, for parseConfig. */
  rest: string[];
  /** Values of each repeated flag (e.g. '--image'), in the order given. */
  values: Record<string, string[]>;
}

/**
 * Takes flags that may be given several times (`--image a.jpg --image b.png`) out of argv.
 * parseConfig keeps only the last value of a flag, and its 'list' type splits on commas,
 * which file names and stop strings may contain. `takesValue` tells which other flags consume
 * the next argument, so a value such as `--system --image` is not mistaken for a flag.
 */
export function extractRepeatedFlags(
  argv: readonly string[],
  repeated: readonly string[],
  takesValue: (flag: string) => boolean,
): RepeatedFlags {
  const values: Record<string, string[]> = Object.fromEntries(repeated.map((f) => [f, []]));
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if (repeated.includes(flag)) {
      const value = flag === arg ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined) throw new ConfigError(`option ${flag} needs a value`);
      values[flag]!.push(value);
      continue;
    }
    rest.push(arg);
    if (flag === arg && arg.startsWith('--') && takesValue(arg) && i + 1 < argv.length) rest.push(argv[++i]!);
  }
  return { rest, values };
}
