export * from './ort-types';
export * from './create-session';
export * from './tensors';
export * from './gemm-peak';
export * from './decoder-step';
export * from './sequence-decoder';
