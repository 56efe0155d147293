import { commandArgs } from './command-args';
import type { Command } from './registry';
import { defineSchema, formatHelp } from '@internvl/service-kit';

const schema = defineSchema({
  llm: {
    type: 'string',
    default: 'phi3',
    choices: ['phi3', 'internlm2'],
    doc: 'Language model family: phi3 (Mini-4B layout) or internlm2 (Mini-2B layout).',
  },
  seed: {
    type: 'int',
    default: 0,
    min: 0,
    doc: 'Seed of the random weights; the same seed writes the same files.',
  },
  preset: {
    type: 'string',
    default: 'tiny',
    choices: ['tiny', 'real-width'],
    doc: 'tiny: hidden 64, 2 layers; real-width: the real model widths with --layers layers (benchmarks).',
  },
  layers: {
    type: 'int',
    default: 0,
    min: 0,
    max: 64,
    doc: 'Layers in the vision tower and the LLM (0 = the preset default).',
  },
});

const HELP =
  `Usage: internvl make-tiny DIR [--llm phi3|internlm2] [--seed N] [--preset tiny|real-width] [--layers N]\n\n` +
  `Writes config.json, model.safetensors (bf16, real tensor names) and tokenizer files in the exact\nHF layout of Mini-InternVL-Chat-V1-5, with random weights. Options:\n${formatHelp(schema, 'make_tiny')}\n`;

export const makeTinyCommand: Command = {
  summary: 'Write a tiny random InternVL checkpoint.',
  async run(argv) {
    const args = commandArgs(argv, schema, 'make_tiny', HELP);
    if (typeof args === 'number') return args;
    const { config, positionals } = args;
    if (positionals.length !== 1) {
      process.stderr.write('Usage: internvl make-tiny DIR [options] (see --help)\n');
      return 2;
    }
    const { makeTinyCheckpoint } = await import('@internvl/checkpoint');
    const dir = positionals[0]!;
    await makeTinyCheckpoint(dir, {
      llm: config.llm as 'phi3' | 'internlm2',
      seed: config.seed,
      preset: config.preset as 'tiny' | 'real-width',
      layers: config.layers || undefined,
      onProgress: (message: string) => {
        // One line per tensor is too much for a log: show every 25th and the last.
        const tensor = /: (\d+)\/(\d+) /.exec(message);
        if (!tensor || Number(tensor[1]) % 25 === 0 || tensor[1] === tensor[2])
          process.stderr.write(`make-tiny: ${message}\n`);
      },
    });
    process.stdout.write(
      `wrote a ${config.preset} ${config.llm} checkpoint (seed ${config.seed}) to ${dir}\n`,
    );
    return 0;
  },
};
