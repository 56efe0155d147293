import type { OrtProvider } from '@internvl/ort';
import type { FloatArray, FloatType } from '@internvl/float-formats';

// Messages between the vision tier's event loop and its inference thread (vision-worker.ts).

/** workerData of the inference thread: what to open and how. */
export interface InferenceThreadConfig {
  /** vision.onnx path. */
  file: string;
  dtype: FloatType;
  imageSize: number;
  tokensPerTile: number;
  embeddingDim: number;
  provider: OrtProvider;
  deviceId: number;
  requireGpu: boolean;
  intraOpThreads: number;
}

/** A typed error that crossed the thread boundary (structured clone keeps plain fields only). */
export interface ThreadError {
  kind?: string;
  message: string;
}

export type ToInferenceThread =
  { type: 'run'; id: number; pixels: FloatArray; tiles: number } | { type: 'release' };

export type FromInferenceThread =
  | { type: 'warn'; message: string }
  | { type: 'ready'; provider: OrtProvider }
  | { type: 'failed'; error: ThreadError }
  | { type: 'result'; id: number; ok: true; embeds: FloatArray }
  | { type: 'result'; id: number; ok: false; error: ThreadError };

export function threadError(err: unknown): ThreadError {
  const e = err instanceof Error ? err : new Error(String(err));
  return { kind: (e as { kind?: string }).kind, message: e.message };
}
