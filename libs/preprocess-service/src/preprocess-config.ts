import { availableParallelism } from 'node:os';
import { defineSchema } from '@internvl/service-kit';

const MiB = 1024 * 1024;

/** Config of the preprocess tier (on top of the options every tier shares). */
export const preprocessSchema = defineSchema({
  max_image_bytes: {
    type: 'int',
    default: 32 * MiB,
    min: 1,
    doc: 'Largest encoded image accepted, in bytes.',
  },
  max_image_pixels: {
    type: 'int',
    default: 89_478_485,
    min: 1,
    doc: "Largest decoded image (width x height) accepted; refuses decompression bombs before decoding. Default = Pillow's MAX_IMAGE_PIXELS.",
  },
  default_max_tiles: {
    type: 'int',
    default: 12,
    min: 1,
    max: 40,
    doc: "Tiles per image when a request does not say (the model's max_dynamic_patch).",
  },
  default_min_tiles: {
    type: 'int',
    default: 1,
    min: 1,
    max: 40,
    doc: 'Minimum tiles when a request does not say.',
  },
  image_size: {
    type: 'int',
    default: 448,
    min: 14,
    max: 4096,
    doc: 'Tile edge in pixels when a request does not say.',
  },
  max_image_size: {
    type: 'int',
    default: 1024,
    min: 14,
    max: 4096,
    doc: 'Largest tile edge a request may ask for besides image_size (memory grows with its square).',
  },
  default_dtype: {
    type: 'string',
    default: 'fp16',
    choices: ['fp16', 'fp32'],
    doc: 'Element type of pixel_values when a request does not say.',
  },
  workers: {
    type: 'int',
    default: Math.max(1, availableParallelism()),
    min: 1,
    max: 256,
    doc: 'Worker threads for decoding-independent tiling and normalization (default: CPU count).',
  },
  max_queue: {
    type: 'int',
    default: 64,
    min: 0,
    doc: 'Images allowed to wait for a worker; more are refused with RESOURCE_EXHAUSTED.',
  },
  worker_max_memory_mb: {
    type: 'int',
    default: 128,
    min: 0,
    doc: "A worker whose own memory (V8 heap, external memory and buffers) passes this many MiB after a job is replaced by a fresh one, so large images do not keep the tier's memory high; 0 = never.",
  },
});
