import { writeFileSync } from 'node:fs';
import { imageCommandArgs, TILING_FLAGS } from './command-args';
import type { Command } from './registry';
import { defineSchema } from '@internvl/service-kit';

const schema = defineSchema({
  out: {
    type: 'string',
    default: '',
    doc: 'Where to write the image embeddings [tiles*256, hidden] as a float32 NumPy .npy file (required).',
  },
  ...TILING_FLAGS,
  pixel_dtype: {
    type: 'string',
    default: 'fp16',
    choices: ['fp16', 'fp32'],
    doc: 'Element type of pixel_values between the tiers (fp16 halves the bytes).',
  },
  preprocess_addr: {
    type: 'string',
    default: '127.0.0.1:50051',
    doc: 'Address of a running preprocess tier.',
  },
  vision_addr: { type: 'string', default: '127.0.0.1:50052', doc: 'Address of a running vision tier.' },
  timeout_ms: { type: 'int', default: 300_000, min: 1, doc: 'Deadline of the whole command.' },
});

const USAGE = 'Usage: internvl embed IMAGE --out FILE.npy [--max-num N] [options]';
const ABOUT =
  'Sends the image through the preprocess and vision tiers and writes the image embeddings\n' +
  '(float32, [tiles*256, hidden]). The vision tier is asked by content hash first, so pixels\n' +
  'travel only when it has not cached this image.';
const GRPC_UNAVAILABLE = 14;

/** Rethrows a gRPC error as a message a person can act on. */
function explain(err: unknown, tier: string, addr: string): Error {
  const e = err as { code?: number; details?: string };
  if (e.code === GRPC_UNAVAILABLE)
    return new Error(
      `cannot reach the ${tier} tier at ${addr} (${e.details}); start it with 'internvl serve ${tier}' or pass --${tier}-addr`,
      { cause: err },
    );
  return new Error(`${tier}: ${e.details ?? String(err)}`, { cause: err });
}

export const embedCommand: Command = {
  summary: 'Image → preprocess tier → vision tier → image embeddings as a .npy file.',
  async run(argv) {
    const args = imageCommandArgs(argv, schema, USAGE, ABOUT);
    if (typeof args === 'number') return args;
    const { config, path, image } = args;
    const { ElementType, floatTypeToWire, PreprocessServiceClient, VisionServiceClient } =
      await import('@internvl/contracts');
    const { floatTypeFromFlag } = await import('@internvl/float-formats');
    const { createClient } = await import('@internvl/service-kit');
    const { preprocessRemote, embedRemoteCached } = await import('@internvl/tier-clients');
    const { encodeNpy } = await import('@internvl/imaging');
    const deadline = new Date(Date.now() + config.timeout_ms);
    const limits = { maxReceiveMessageBytes: 8 << 20, maxSendMessageBytes: 8 << 20 };
    const preprocess = createClient(PreprocessServiceClient, {
      addresses: [config.preprocess_addr],
      ...limits,
    });
    const vision = createClient(VisionServiceClient, { addresses: [config.vision_addr], ...limits });
    try {
      const pixelDtype = floatTypeToWire(floatTypeFromFlag(config.pixel_dtype));
      const pre = await preprocessRemote(
        preprocess,
        image,
        {
          options: {
            minTiles: config.min_num,
            maxTiles: config.max_num,
            useThumbnail: config.thumbnail,
            imageSize: 0,
            autoOrient: false,
            dtype: pixelDtype,
          },
          returnTiles: false,
        },
        { deadline },
      ).catch((err: unknown) => {
        throw explain(err, 'preprocess', config.preprocess_addr);
      });
      const spec = pre.result.pixelValues!;
      const embedded = await embedRemoteCached(
        vision,
        pre.result.contentHash,
        { bytes: pre.pixelValues, shape: spec.shape.map(Number), dtype: spec.dtype },
        ElementType.ELEMENT_TYPE_FLOAT32,
        { deadline },
      ).catch((err: unknown) => {
        throw explain(err, 'vision', config.vision_addr);
      });
      const shape = (embedded.result.embeddings?.shape ?? []).map(Number);
      writeFileSync(config.out, encodeNpy(embedded.embeddings, shape, 'float32'));
      process.stdout.write(
        `${path}: ${embedded.result.numTiles} tiles${pre.result.hasThumbnail ? ' (incl. thumbnail)' : ''} → ` +
          `embeddings [${shape.join(', ')}] float32 → ${config.out}${embedded.result.cacheHit ? ' (vision cache hit)' : ''}\n` +
          `  content hash ${pre.result.contentHash}\n`,
      );
      return 0;
    } finally {
      preprocess.close();
      vision.close();
    }
  },
};
