/** A CLI command; `run` returns the exit code (long-running commands resolve when they stop). */
export interface Command {
  summary: string;
  run(argv: string[]): Promise<number>;
}

export const COMMANDS: Record<string, { summary: string; load: () => Command }> = {
  serve: {
    summary: 'Run a tier (gateway, preprocess, vision, llm) or all of them.',
    load: () => require('./serve').serveCommand as Command,
  },
  'make-tiny': {
    summary:
      'Write a tiny random InternVL checkpoint in the exact HF layout (tests, default model, benchmarks).',
    load: () => require('./make-tiny').makeTinyCommand as Command,
  },
  convert: {
    summary: 'Convert an HF InternVL checkpoint into a model directory (ONNX graphs, manifest, tokenizer).',
    load: () => require('./convert').convertCommand as Command,
  },
  preprocess: {
    summary: 'Tile and normalize an image into a .npy pixel_values tensor.',
    load: () => require('./preprocess').preprocessCommand as Command,
  },
  embed: {
    summary: 'Image → preprocess → vision tiers → image embeddings [tiles*256, hidden] as a .npy file.',
    load: () => require('./embed').embedCommand as Command,
  },
  chat: {
    summary: 'Ask the gateway a question about images and stream the answer (multi-round with --history).',
    load: () => require('./chat').chatCommand as Command,
  },
};

export function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `Usage: internvl <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun 'internvl <command> --help' for a command's options.\n`;
}
