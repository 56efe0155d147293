/** Where graph builders get weights: HF tensor names, PyTorch layouts ([out, in] for Linear). */
export interface WeightSource {
  /** Reads a tensor as float32, checking its shape; throws a typed error naming the tensor otherwise. */
  read(name: string, expectedShape: number[]): Float32Array;
  has(name: string): boolean;
}

/** Numeric precision of a model directory's graphs. */
export type Precision = 'fp32' | 'fp16' | 'int4';
