import type { FloatArray } from '@internvl/float-formats';
import type { VisionIo } from '@internvl/model-config';
import type { OrtProvider } from '@internvl/ort';

// What the vision tier's event loop and its inference thread (vision-worker.ts) exchange.

/** workerData of the inference thread: what to open and how. */
export interface InferenceThreadConfig {
  /** vision.onnx path. */
  file: string;
  /** Its input and output (names, dims, the manifest's visionDtype). */
  io: VisionIo;
  provider: OrtProvider;
  deviceId: number;
  requireGpu: boolean;
  intraOpThreads: number;
}

export interface VisionRunRequest {
  type: 'run';
  id: number;
  pixels: FloatArray;
  tiles: number;
}

/** What the thread reports once its session is open: the provider it got. */
export interface VisionThreadReady {
  provider: OrtProvider;
}
