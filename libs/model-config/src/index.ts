export * from './model-config';
export * from './model-manifest';
export * from './templates';
export * from './read-model-directory';
export * from './decoder-io';
export * from './rotary';
