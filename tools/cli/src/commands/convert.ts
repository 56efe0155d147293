import type { FloatType } from '@internvl/float-formats';
import { commandArgs } from './command-args';
import type { Command } from './registry';
import { defineSchema, formatHelp } from '@internvl/service-kit';
import { ProgressRenderer } from './progress-bar';

const schema = defineSchema({
  from: {
    type: 'string',
    default: '',
    doc: 'HF checkpoint directory (config.json, *.safetensors, tokenizer files). Required.',
  },
  to: { type: 'string', default: '', doc: 'Model directory to write. Required.' },
  precision: {
    type: 'string',
    default: 'fp32',
    choices: ['fp32', 'fp16', 'int4'],
    doc: 'fp32 (CPU reference), fp16 (GPU), int4 (4-bit weight-only decoder, CPU and GPU).',
  },
  max_context: {
    type: 'int',
    default: 0,
    min: 0,
    doc: 'Longest prompt + answer the decoder serves; 0 = min(max_position_embeddings, 16384).',
  },
  int4_block_size: {
    type: 'int',
    default: 128,
    min: 32,
    max: 128,
    doc: "int4 only: weights per quantization block (128, GPTQ/AWQ's group size, decodes ~35% faster on CPU than 32; 32 quantizes finer, as llama.cpp Q4_0).",
  },
  kv_dtype: {
    type: 'string',
    default: 'auto',
    choices: ['auto', 'float32', 'float16'],
    doc: 'KV cache element type. auto: float16 for fp16 models, float32 otherwise (CPU attention is faster in float32); float16 halves the cache bytes.',
  },
});

const HELP = `Usage: internvl convert --from HF_DIR --to MODEL_DIR [--precision fp32|fp16|int4]\n\nOptions:\n${formatHelp(schema, 'convert')}\n`;

export const convertCommand: Command = {
  summary: 'Convert an HF InternVL checkpoint into a model directory.',
  async run(argv) {
    const args = commandArgs(argv, schema, 'convert', HELP);
    if (typeof args === 'number') return args;
    const { config } = args;
    if (!config.from || !config.to) {
      process.stderr.write('internvl convert: --from and --to are required (see --help)\n');
      return 2;
    }
    const { convertCheckpoint } = await import('@internvl/converter');
    // Every stage reports its steps (vision and decoder: each layer): a bar with an ETA on a
    // terminal, plain lines in logs.
    const progress = new ProgressRenderer(process.stdout);
    let manifest;
    try {
      manifest = await convertCheckpoint({
        from: config.from,
        to: config.to,
        precision: config.precision as 'fp32' | 'fp16' | 'int4',
        maxContextTokens: config.max_context || undefined,
        int4BlockSize: config.int4_block_size,
        kvDtype: config.kv_dtype === 'auto' ? undefined : (config.kv_dtype as FloatType),
        onProgress: (p) => progress.update(p),
      });
    } finally {
      progress.finish();
    }
    process.stdout.write(
      `converted ${manifest.name} (${manifest.config.llm.architecture}, ${manifest.precision}) → ${config.to}\n` +
        `  template ${manifest.template.name}, context ${manifest.maxContextTokens} tokens, ${manifest.config.numImageTokens} image tokens per tile\n`,
    );
    return 0;
  },
};
