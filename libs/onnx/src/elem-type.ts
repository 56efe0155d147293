/** Element types the builder emits; names match onnxruntime-node's tensor type strings. */
export type ElemType = 'float32' | 'float16' | 'int64' | 'int32' | 'uint8' | 'bool';

/** A tensor dimension: a fixed size, or a string for a symbolic `dim_param` (e.g. `'batch'`). */
export type Dim = number | string;

/** `TensorProto.DataType` codes from onnx.proto. */
export const ONNX_DATA_TYPE: Readonly<Record<ElemType, number>> = {
  float32: 1,
  uint8: 2,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
};

/** Bytes per element as stored in raw_data / external data. */
export const ELEM_BYTES: Readonly<Record<ElemType, number>> = {
  float32: 4,
  uint8: 1,
  int32: 4,
  int64: 8,
  bool: 1,
  float16: 2,
};
