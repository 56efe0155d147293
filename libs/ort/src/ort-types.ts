import type * as ort from 'onnxruntime-node';

// The rest of the repo names ORT types through these aliases so only this lib imports
// onnxruntime-node (the same isolation transformers.js keeps in backends/onnx.js).

/** An onnxruntime tensor (CPU memory). */
export type OrtTensor = ort.Tensor;
/** An onnxruntime inference session. */
export type OrtSession = ort.InferenceSession;
/** Named inputs for `session.run`. */
export type OrtFeeds = Record<string, OrtTensor>;
/** Named outputs returned by `session.run`. */
export type OrtResults = ort.InferenceSession.ReturnType;
/** Tensor element type strings (`'float32'`, `'float16'`, `'int64'`, …). */
export type OrtTensorType = ort.Tensor.Type;
