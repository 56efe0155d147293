import { defineSchema } from '@internvl/service-kit';

/** Config of the llm tier (on top of the options every tier shares). */
export const llmSchema = defineSchema({
  model: {
    type: 'string',
    default: '',
    doc: 'Model directory made by `internvl convert` (manifest.json, embed.onnx, decoder.onnx, tokenizer.json). Required.',
  },
  provider: {
    type: 'string',
    default: 'cpu',
    choices: ['cpu', 'cuda'],
    doc: 'ONNX Runtime execution provider. cuda needs onnxruntime-node installed with ONNXRUNTIME_NODE_INSTALL=cuda12; without it the tier starts on CPU with a warning (see require_gpu).',
  },
  device_id: { type: 'int', default: 0, min: 0, doc: 'CUDA device ordinal (provider cuda).' },
  require_gpu: {
    type: 'bool',
    default: false,
    doc: 'Refuse to start when provider is cuda but CUDA cannot be used, instead of falling back to CPU.',
  },
  intra_op_threads: {
    type: 'int',
    default: 2,
    min: 1,
    max: 1024,
    doc: 'CPU threads one ORT op may use (provider cpu).',
  },
  max_active_sequences: {
    type: 'int',
    default: 16,
    min: 1,
    max: 4096,
    doc: 'Sequences decoding together in one decoder run per step (continuous batching); more wait in the queue.',
  },
  max_queue: {
    type: 'int',
    default: 64,
    min: 0,
    doc: 'Sequences allowed to wait for a slot; more are refused with RESOURCE_EXHAUSTED (a scaling signal).',
  },
  default_max_new_tokens: {
    type: 'int',
    default: 512,
    min: 1,
    doc: 'max_new_tokens when a request does not say (clamped to the context left after the prompt).',
  },
  max_new_tokens_limit: {
    type: 'int',
    default: 4096,
    min: 1,
    doc: 'Largest max_new_tokens a request may ask for.',
  },
  max_stop_strings: { type: 'int', default: 16, min: 0, doc: 'Most stop strings in one request.' },
});
