import { defineSchema } from './config/schema';

/**
 * Options of a tier that runs a model on ONNX Runtime (vision, llm): where it runs and with how
 * many CPU threads. `intraOpThreads` is the tier's own default.
 */
export function executionSchema(intraOpThreads: number) {
  return defineSchema({
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
      default: intraOpThreads,
      min: 1,
      max: 1024,
      doc: 'CPU threads one ORT op may use (provider cpu, and CPU fallback ops).',
    },
  });
}
