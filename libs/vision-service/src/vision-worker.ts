// Inference-thread entry of the vision tier. onnxruntime-node's session.run executes on the
// calling thread (its promise only defers the call with setImmediate), so a run on the event
// loop would stall every other call, health checks included, and keep requests from reaching
// the batch queue while a batch runs. Here it blocks only this thread.
import { parentPort, workerData } from 'node:worker_threads';
import { FailedPreconditionError } from '@internvl/errors';
import { createSession, float16Tensor, float32Tensor, type OrtSession, type OrtTensor } from '@internvl/ort';
import type { FloatArray } from '@internvl/float-formats';
import {
  threadError,
  type FromInferenceThread,
  type InferenceThreadConfig,
  type ToInferenceThread,
} from './inference-protocol';
import { VISION_IO } from './vision-io';

const config = workerData as InferenceThreadConfig;
const port = parentPort!;
const send = (message: FromInferenceThread, transfer: ArrayBuffer[] = []) =>
  port.postMessage(message, transfer);

async function open(): Promise<OrtSession> {
  const { session, provider } = await createSession(config.file, {
    provider: config.provider,
    deviceId: config.deviceId,
    requireGpu: config.requireGpu,
    intraOpNumThreads: config.intraOpThreads,
    log: (message) => send({ type: 'warn', message }),
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
  send({ type: 'ready', provider });
  return session;
}

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

/** The array's own buffer when it spans all of it (transferable without a copy), else a copy's. */
function transferable(data: FloatArray): FloatArray {
  return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : data.slice();
}

open().then(
  (session) => {
    port.on('message', (message: ToInferenceThread) => {
      if (message.type === 'release') {
        void session.release().finally(() => port.close());
        return;
      }
      run(session, message.pixels, message.tiles).then(
        (embeds) => {
          const out = transferable(embeds);
          send({ type: 'result', id: message.id, ok: true, embeds: out }, [out.buffer as ArrayBuffer]);
        },
        (err: unknown) => send({ type: 'result', id: message.id, ok: false, error: threadError(err) }),
      );
    });
  },
  (err: unknown) => send({ type: 'failed', error: threadError(err) }),
);
