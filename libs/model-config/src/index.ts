export * from './model-config';
export * from './checkpoint-weights';
export * from './model-manifest';
export * from './model-io/tensor-spec';
export * from './model-io/vision-io';
export * from './model-io/embed-io';
export * from './model-io/decoder-io';
export * from './rotary';
