import { defineSchema, executionSchema } from '@internvl/service-kit';

const MiB = 1024 * 1024;

/** Config of the vision tier (on top of the options every tier shares). */
export const visionSchema = defineSchema({
  model: {
    type: 'string',
    default: '',
    doc: 'Model directory made by `internvl convert` (manifest.json + vision.onnx). Required.',
  },
  ...executionSchema(2),
  max_batch_tiles: {
    type: 'int',
    default: 8,
    min: 1,
    max: 1024,
    doc: 'Most tiles packed into one model run; tiles of concurrent requests share a run up to this.',
  },
  max_wait_ms: {
    type: 'int',
    default: 5,
    min: 0,
    max: 60_000,
    doc: 'Longest a queued tile waits for more tiles to batch with before its run starts.',
  },
  max_queue_tiles: {
    type: 'int',
    default: 256,
    min: 1,
    doc: 'Tiles allowed to wait for a run; requests beyond are refused with RESOURCE_EXHAUSTED (a queue-depth signal for scaling).',
  },
  max_request_tiles: {
    type: 'int',
    default: 41,
    min: 1,
    doc: "Most tiles in one request (InternVL's 40 tiles + thumbnail); bounds the pixel bytes a request may send.",
  },
  cache_bytes: {
    type: 'int',
    default: 512 * MiB,
    min: 0,
    doc: 'Embedding cache size in bytes (LRU, keyed by the preprocess content hash); 0 disables it.',
  },
  default_output_dtype: {
    type: 'string',
    default: 'fp16',
    choices: ['fp16', 'fp32'],
    doc: 'Element type of the returned embeddings when a request does not say.',
  },
});
