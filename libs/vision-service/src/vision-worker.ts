// Inference-thread entry of the vision tier (see InferenceThread in service-kit for why a thread).
import { workerData } from 'node:worker_threads';
import { FailedPreconditionError } from '@internvl/errors';
import { floatTypeOf, type FloatArray } from '@internvl/float-formats';
import { runDims, SYMBOLIC_DIMS } from '@internvl/model-config';
import { createSession, float16Tensor, float32Tensor, type OrtSession } from '@internvl/ort';
import { serveInferenceThread, transferable } from '@internvl/service-kit';
import type { InferenceThreadConfig, VisionRunRequest, VisionThreadReady } from './inference-protocol';

const config = workerData as InferenceThreadConfig;
const { pixelValues, imageEmbeds } = config.io;

// pixel_values [n,3,448,448] -> image_embeds [n,256,d]  (float32, or float16 for fp16 models)
async function run(session: OrtSession, pixels: FloatArray, tiles: number): Promise<FloatArray> {
  const sizes = { [SYMBOLIC_DIMS.tiles]: tiles };
  const dims = runDims(pixelValues, sizes);
  if (floatTypeOf(pixels) !== pixelValues.type) {
    throw new FailedPreconditionError(`${pixelValues.name} must be ${pixelValues.type} for this model`);
  }
  const input = pixels instanceof Float32Array ? float32Tensor(pixels, dims) : float16Tensor(pixels, dims);
  const out = await session.run({ [pixelValues.name]: input });
  const embeds = out[imageEmbeds.name];
  const expected = runDims(imageEmbeds, sizes);
  if (!embeds || embeds.dims.join() !== expected.join()) {
    throw new FailedPreconditionError(
      `vision.onnx returned ${imageEmbeds.name} [${embeds?.dims.join(', ')}], expected [${expected.join(', ')}] from the manifest`,
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
    [session.inputNames, pixelValues.name],
    [session.outputNames, imageEmbeds.name],
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
