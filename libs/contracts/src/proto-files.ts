import { join } from 'node:path';

/** Directory holding the .proto sources (server reflection loads them from here). */
export const PROTO_ROOT = join(__dirname, '..', '..', '..', 'proto');

/** The .proto files of internvl.v1, relative to PROTO_ROOT. */
export const PROTO_FILES = [
  'internvl/v1/tensor.proto',
  'internvl/v1/generation.proto',
  'internvl/v1/preprocess.proto',
  'internvl/v1/vision.proto',
  'internvl/v1/llm.proto',
  'internvl/v1/chat.proto',
] as const;
