// Inference-thread entry of the vision tier (see InferenceThread in service-kit for why a thread).
import { workerData } from 'node:worker_threads';
import { FailedPreconditionError } from '@internvl/errors';
import type { FloatArray } from '@internvl/float-formats';
import { createSession, float16Tensor, float32Tensor, type OrtSession, type OrtTensor } from '@internvl/ort';
import { serveInferenceThread, transferable } from '@internvl/service-kit';
import type { InferenceThreadConfig, VisionRunRequest, VisionThreadReady } from './inference-protocol';
import { VISION_IO } from './vision-io';

const config = workerData as InferenceThreadConfig;

// pixel_values [n,3,448,448] -> image_embeds [n,256,d]  (float32, or float16 for fp16 models)
async function run(session: OrtSession, pixels: FloatArray, tiles: number): Promise<FloatArray> {
  const S = config.imageSize;
  const dims = [tiles, 3, S, S];
  let input: OrtTensor;
  if (config.dtype === 'float32' && pixels instanceof Float32Array) input = float32Tensor(pixels, dims);
  else if (config.dtype === 'float16' && pixels instanceof Uint16Array) input = float16Tensor(pixels, dims);
  else throw new FailedPreconditionError(`pixel_values must be ${config.dtype} for this model`);
  const out = await session.run({ [VISION_IO.pixelValues]: input });
  const embeds = out[VISION_IO.imageEmbeds];
  const expected = [tiles, config.tokensPerTile, config.embeddingDim];
  if (!embeds || embeds.dims.join() !== expected.join()) {
    throw new FailedPreconditionError(
      `vision.onnx returned image_embeds [${embeds?.dims.join(', ')}], expected [${expected.join(', ')}] from the manifest`,
    );
  }
  const data: unknown = embeds.data;
  if (data instanceof Float32Array || data instanceof Uint16Array) return data;
  // A runtime with a native Float16Array hands out values instead of bit patterns.
  return Float32Array.from(data as ArrayLike<number>);
}

serveInferenceThread<VisionRunRequest, VisionThreadReady, FloatArray>(async (warn) => {
  const { session, provider } = await createSession(config.file, {
    provider: config.provider,
    deviceId: config.deviceId,
    requireGpu: config.requireGpu,
    intraOpNumThreads: config.intraOpThreads,
    log: warn,
  });
  for (const [names, name] of [
    [session.inputNames, VISION_IO.pixelValues],
    [session.outputNames, VISION_IO.imageEmbeds],
  ] as const) {
    if (!names.includes(name)) {
      await session.release();
      throw new FailedPreconditionError(`${config.file} has no '${name}' (it has ${names.join(', ')})`);
    }
  }
  return {
    ready: { provider },
    async handle(request) {
      const embeds = transferable(await run(session, request.pixels, request.tiles));
      return { result: embeds, transfer: [embeds.buffer as ArrayBuffer] };
    },
    release: () => session.release(),
  };
});
