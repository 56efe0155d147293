#!/usr/bin/env node
// Commands are required lazily: `serve` must start telemetry before @grpc/grpc-js is loaded,
// and a command should not pay for the others' start-up.
import { COMMANDS, mainHelp } from './commands/registry';

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(mainHelp());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`internvl: unknown command '${name}'\n\n${mainHelp()}`);
    return 2;
  }
  return command.load().run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0 || process.exitCode === undefined) process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`internvl: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
