export * from './ort-types';
export * from './create-session';
export * from './tensors';
export * from './decoder-step';
export * from './sequence-decoder';
export * from './read-model-directory';
