export * from './model-config';
export * from './model-manifest';
export * from './templates';
