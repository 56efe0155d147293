export * from './elem-type';
export * from './tensor-data';
export * from './attr';
export * from './graph-builder';
export * from './save-model';
export * from './matmul-nbits';
export type { ValueInfo, NodeSpec } from './onnx-proto';
export * from './external-data-file';
